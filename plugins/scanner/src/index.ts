export { scannerPlugin, scanImageTask, scanImageInput, SCANNER_PLUGIN_VERSION, type ScanImageSummary } from './plugin';
export { scanArtifact, type ScanOptions, type ScanResult } from './scan';
export { ExecutableCollector, MAX_EXECUTABLE_PATHS } from './executables';
export * from './report';
export * from './vex';
export * from './analyzers';
export { createScanImageTask } from './plugin';
export * from './sbom';
export { matchInventory, VULNERABILITY_PRODUCER, SECRET_PRODUCER, type PackageMatcher, type ScanImageDependencies, type InventoryMatch } from './vulnerability-scan';
