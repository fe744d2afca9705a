export { runRulesValidate, type CliResult } from './validate';
export { runReplay, type ReplayOptions, type ReplaySummary } from './replay';
