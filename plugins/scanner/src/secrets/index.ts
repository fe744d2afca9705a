export { SecretScanner, DEFAULT_BUFFER_SIZE, DEFAULT_OVERLAP_SIZE, type SecretMatch, type SecretScannerOptions } from './scanner';
export { parseSecretConfig, type SecretConfig } from './config';
export { BUILTIN_RULES, BUILTIN_ALLOW_RULES } from './builtin-rules';
export { normaliseSeverity, type SecretRuleSpec, type AllowRuleSpec, type ExcludeBlockSpec } from './rule';
export { GoRegexp, GoRegexpError, translateGoRegexp } from './go-regexp';
export { DEFAULT_MAX_SECRET_FILE_BYTES, MIN_SECRET_FILE_BYTES, looksBinary, secretScanWantsPath } from './file-filter';
export { LayerSecretCollector, secretFindings, type LayerSecret, type SecretFindingContext } from './layer-secrets';
