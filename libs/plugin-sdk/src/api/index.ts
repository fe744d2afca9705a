// `@bulkhead/plugin-sdk/api`: what a plugin needs to contribute to the API process. Nest
// (@nestjs/common, @nestjs/graphql) and graphql-scalars are peer dependencies of this entry only.
export * from './host';
export * from './tokens';
export * from './plugin-api';
export * from './finding-sql';
export * from './graphql';
export * from './graphql-enums';
export * from './graphql-task';
export * from './access';
export * from './json-depth';
export * from './host-graphql-types';
export * from './sensitive-arguments';
