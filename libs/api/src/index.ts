export * from './start-api';
export * from './api.module';
export * from './config';
export { ApiStartupError } from './startup/startup-error';
export { printApiSchema, SCHEMA_FILE } from './schema/print-schema';
