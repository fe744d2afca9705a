// The cluster inventory: connection, list/watch engine, stored inventory, live checks, the
// `watch-cluster` task and the inline scan behind `bulkhead cluster scan`.
export * from './kinds';
export * from './model';
export * from './store';
export * from './connect';
export * from './api-client';
export * from './inventory';
export * from './live-checks';
export * from './watch-task';
export { clusterMigrations } from './migrations';
