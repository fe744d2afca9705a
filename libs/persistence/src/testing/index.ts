// `@bulkhead/persistence/testing`: helpers for tests and benchmarks only (lint keeps them out of
// production code).
export * from './test-database';
