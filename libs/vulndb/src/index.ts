export * from './model';
export * from './ecosystem';
export * from './store/advisory-store';
export * from './match/vulnerability-match';
export * from './import';
export * from './version';
export * from './feed';
