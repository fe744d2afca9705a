import { definePlugin, defineTask, type BulkheadPlugin, type PluginRegistry } from '@bulkhead/plugin-sdk';
import { z } from 'zod';

/*
 * The platform's own tasks. The host knows no plugin by name, yet the canary (probeTask,
 * `bulkhead probe`, /readyz?deep=1) needs a task that every API and worker can run whatever
 * plugins are loaded. So it is a core built-in plugin, owned here (the library the API's
 * submitter and the worker share), registered by the API and the worker themselves
 * (withPlatformTasks) rather than listed with the product plugins in libs/builtin-plugins.
 *
 * It is of kind `runtime`: a probe must travel a real queue to measure it, and the runtime
 * queue carries the platform's lightest, latency-sensitive work (event ingest), which is what
 * operators want to be alerted about. A worker that serves no runtime queue runs no probe, and
 * the probe says so by timing out.
 */

export const PLATFORM_PLUGIN_ID = 'bulkhead.platform';
export const PLATFORM_PLUGIN_VERSION = '1.0.0';

/** The canary task: persisted identity (never rename). */
export const PROBE_TASK = { kind: 'runtime', type: 'platform-probe' } as const;

/** Label of every probe task: its probe label, so probes can be listed and told apart. */
export const PROBE_LABEL = 'bulkhead.io/probe';

/** A label names what asked for the probe (`readyz`, `cli`, a monitor's name): short, plain. */
export const probeLabelSchema = z
  .string()
  .min(1, 'label must not be empty')
  .max(63, 'label is at most 63 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'label may hold only letters, digits, ".", "_" and "-", starting with a letter or digit');

export const probeInputSchema = z.object({ label: probeLabelSchema }).strict();

/** What the probe task returns: when the worker ran it (the worker's clock, ms since the epoch). */
export interface ProbeOutput {
  label: string;
  ranAt: number;
}

export const platformPlugin: BulkheadPlugin = definePlugin({
  manifest: {
    id: PLATFORM_PLUGIN_ID,
    version: PLATFORM_PLUGIN_VERSION,
    kind: PROBE_TASK.kind,
    phases: ['run'],
    description: "The platform's own tasks: the canary probe that checks the whole path of a task.",
  },
  tasks: [
    defineTask({
      type: PROBE_TASK.type,
      description: 'Does nothing but record when a worker ran it: the canary of the task path (API → Postgres → BullMQ → worker → Postgres → subscription).',
      input: probeInputSchema,
      run: async ({ label }): Promise<ProbeOutput> => ({ label, ranAt: Date.now() }),
    }),
  ],
});

/** Adds the platform's tasks to a registry unless they are in it already (the API and the worker both call it). */
export function withPlatformTasks(registry: PluginRegistry): PluginRegistry {
  if (!registry.get(PLATFORM_PLUGIN_ID)) registry.register(platformPlugin);
  return registry;
}
