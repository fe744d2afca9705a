// `@bulkhead/plugin-sdk/testing`: run a plugin's task in a test, outside Nx and the platform.
export * from './run-plugin-task';
export * from './recording-logger';
