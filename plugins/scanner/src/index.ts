export { scannerPlugin, scanImageTask, scanImageInput, SCANNER_PLUGIN_VERSION, type ScanImageSummary } from './plugin';
export { scanArtifact, type ScanOptions, type ScanResult } from './scan';
export { ExecutableCollector, MAX_EXECUTABLE_PATHS } from './executables';
export { buildScanReport, formatScanTable, type ScanReport, type ReportPackage } from './report';
export * from './analyzers';
export * from './tasks';
