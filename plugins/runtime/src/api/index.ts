// `@bulkhead/plugin-runtime/api`: what the runtime plugin contributes to the API process (the
// host loads it for the built-in plugin by the same code path as for an npm plugin).
import { definePluginApi } from '@bulkhead/plugin-sdk/api';
import type { AlertOutput } from '../alerts/outputs';
import { runtimeApiConfig } from './config';
import { createAlertOutputs } from './detection';
import { runtimeMigrations } from './migrations/0001-alert-indexes';
import { RuntimeApiModule } from './runtime-api.module';

/**
 * Outputs opened by module() and not yet closed. A production process starts one API; a test
 * process may start several (replicas), and close() then closes every API's outputs, which is
 * harmless because closing an output is final for none of them (file and webhook outputs hold
 * nothing open between alerts; stdout is never closed).
 */
const openOutputs = new Set<readonly AlertOutput[]>();

export const api = definePluginApi({
  config: runtimeApiConfig,
  migrations: runtimeMigrations,
  module({ config, logger }) {
    const outputs = createAlertOutputs(config, logger);
    openOutputs.add(outputs);
    return RuntimeApiModule.forRoot({ config, logger, outputs });
  },
  async close() {
    const closing = [...openOutputs];
    openOutputs.clear();
    await Promise.all(closing.flat().map((output) => output.close()));
  },
});

export default api;
export { runtimeApiConfig, type RuntimeApiConfig } from './config';
export { RULES_NOT_CONFIGURED, RuntimeRulesError } from './detection';
export { ALERT_INDEXES } from './migrations/0001-alert-indexes';
export { ALERT_POD_INDEXES } from './migrations/0002-alert-pod-index';
export { alertFindingFilter, alertCriteria, type AlertCriteria } from './alerts/alert-filter';
export { AlertRetention } from './alerts/alert-retention';
