export * from './plugin';
export * from './report';
