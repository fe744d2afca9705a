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
export * from './feed';
export * from './match';
// Both the importers and cvss/ name a `cvssScore` (wt-import delegates to cvss/ once merged);
// the merge of the two branches here exports cvss/'s other members explicitly.
export { scoreCvssVector, severityOfCvssScore, InvalidCvssVectorError, type CvssVectorScore } from './cvss';
