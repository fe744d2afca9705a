export * from './model';
export * from './ecosystem';
export * from './store/advisory-store';
export * from './match/vulnerability-match';
export * from './store/cache-dir';
export { MAX_REJECTED_KEPT, type ImportOptions } from './store/import-accounting';
export * from './store/sqlite-store';
export * from './store/postgres-migrations';
export * from './store/postgres-store';
export * from './import';
export * from './version';
export * from './match';
export * from './cvss';
// Both ./import (wt-import's interim scorer) and ./cvss export `cvssScore`: the matcher's is the
// library's (an explicit export settles the ambiguity of the two star exports).
export { cvssScore } from './cvss';
