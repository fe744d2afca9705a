export * from './model';
export * from './ecosystem';
export * from './store/advisory-store';
export * from './match/vulnerability-match';
export * from './store/cache-dir';
export * from './store/import-accounting';
export * from './store/sqlite-store';
