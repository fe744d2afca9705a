// `@bulkhead/api/testing`: helpers for integration tests that run the real API (and a worker)
// against real Postgres and Redis. Not part of the production barrel.
export * from './graphql-http';
export * from './graphql-ws';
export * from './platform';
export * from './silent-logger';
export * from './as-team';
