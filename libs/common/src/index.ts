export * from './config';
export * from './logger';
export * from './platform-config';
export * from './services';
export * from './secret-files';
