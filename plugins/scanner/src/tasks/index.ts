export * from './advisory-task-types';
export * from './advisory-feeds';
export { importAdvisoriesTask, importAdvisoriesInput } from './import-advisories';
export { updateAdvisoriesTask, updateAdvisoriesInput, type UpdateSummary } from './update-advisories';
export { importAdvisoryInputs } from './advisory-input';
export { rematchVulnerabilitiesTask, rematchVulnerabilitiesInput, emitReports, type RematchSummary } from './rematch-vulnerabilities';
export { matchInventories, type InventoryMatchResult } from './inventory-matching';
export { changeRange, dataChanged, type ImportSummary, type SourceSummary } from './advisory-changes';
