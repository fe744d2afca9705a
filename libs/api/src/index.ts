export * from './start-api';
export * from './api.module';
export * from './config';
export { ApiStartupError } from './startup/startup-error';
export { printApiSchema, REGENERATE_SCHEMA_COMMAND, SCHEMA_FILE } from './schema/print-schema';
export type { ApiPluginPackage } from './plugin-apis/load-plugin-apis';
export { requestContext, AsyncLocalRequestContext } from './host/request-context';
export { AccessGuard, PublicRoute, defaultRole } from './auth/access.guard';
export { CompiledQueriesPlugin } from './graphql/compiled-queries';
