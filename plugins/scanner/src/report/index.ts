export * from './scan-report';
export * from './scan-status';
export * from './policy';
export { formatScanTable, type TableOptions } from './table';
export { formatSarif, SARIF_SCHEMA } from './sarif';
export { formatCycloneDx, buildCycloneDxBom } from './cyclonedx';
export { formatSpdx, buildSpdxDocument, type SpdxDocument } from './spdx';
