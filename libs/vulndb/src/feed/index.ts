export * from './fetch-feed';
