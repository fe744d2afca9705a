import { benchmarkPlugin } from '@bulkhead/plugin-benchmark';
import { runtimePlugin } from '@bulkhead/plugin-runtime';
import { scannerPlugin } from '@bulkhead/plugin-scanner';
import type { BulkheadPlugin } from '@bulkhead/plugin-sdk';

/**
 * The one list of built-in plugins, shared by the api, worker and cli apps. A new built-in
 * plugin is added here and nowhere else.
 */
export function builtinPlugins(): BulkheadPlugin[] {
  return [scannerPlugin, benchmarkPlugin, runtimePlugin];
}
