// `@bulkhead/plugin-sdk/api`: what a plugin needs to contribute to the API process. Nest
// (@nestjs/common, @nestjs/graphql) is a peer dependency of this entry only.
export * from './host';
export * from './tokens';
export * from './plugin-api';
