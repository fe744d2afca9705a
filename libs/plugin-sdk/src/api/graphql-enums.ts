import { registerEnumType } from '@nestjs/graphql';
import { LIFECYCLE_PHASES, PLUGIN_KINDS, type LifecyclePhase as SdkLifecyclePhase, type PluginKind as SdkPluginKind } from '../manifest';
import { SEVERITIES, type Severity as SdkSeverity } from '../results';

/**
 * The platform's GraphQL enums, shared by the host's core types and plugin modules. GraphQL
 * enums use upper-case names (SCANNER) while the SDK and the database store the
 * lower-case strings (scanner); the enum *values* are the stored strings, so resolvers pass them
 * through unchanged.
 */
function upperEnum<V extends string>(values: readonly V[]): { [K in Uppercase<V>]: Extract<V, Lowercase<K>> } {
  return Object.fromEntries(values.map((value) => [value.toUpperCase().replace(/-/g, '_'), value])) as never;
}

export const PluginKind = upperEnum<SdkPluginKind>(PLUGIN_KINDS);
export type PluginKind = SdkPluginKind;
registerEnumType(PluginKind, { name: 'PluginKind', description: 'The four kinds of plugin; each has its own queue.' });

export const LifecyclePhase = upperEnum<SdkLifecyclePhase>(LIFECYCLE_PHASES);
registerEnumType(LifecyclePhase, { name: 'LifecyclePhase', description: 'Container life-cycle phases: build, ship, run.' });

export const Severity = Object.fromEntries(SEVERITIES.map((s) => [s, s])) as { [K in SdkSeverity]: K };
export type Severity = SdkSeverity;
registerEnumType(Severity, { name: 'Severity' });

/** The task states (HostTaskStatus); values are the stored strings. */
export const TaskStatus = {
  QUEUED: 'QUEUED',
  RUNNING: 'RUNNING',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  CANCELLED: 'CANCELLED',
} as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];
registerEnumType(TaskStatus, { name: 'TaskStatus', description: 'QUEUED and RUNNING are unfinished; the others are final.' });
