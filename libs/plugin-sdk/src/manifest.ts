/** The four kinds of plugin; each kind has its own queue and its own extension points. */
export const PLUGIN_KINDS = ['scanner', 'signer', 'benchmark', 'runtime'] as const;
export type PluginKind = (typeof PLUGIN_KINDS)[number];

/** The container life-cycle phases a plugin takes part in. */
export const LIFECYCLE_PHASES = ['build', 'ship', 'run'] as const;
export type LifecyclePhase = (typeof LIFECYCLE_PHASES)[number];

export interface PluginManifest {
  /** Globally unique, npm-like id, e.g. `bulkhead.scanner` or `acme.secrets`. */
  readonly id: string;
  /** Semver of the plugin. Part of every result cache key: upgrading a plugin re-runs its work. */
  readonly version: string;
  readonly kind: PluginKind;
  readonly phases: readonly LifecyclePhase[];
  readonly description: string;
}
