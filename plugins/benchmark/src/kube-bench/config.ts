import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { load } from 'js-yaml';
import { KUBERNETES_YAML_SCHEMA } from '../k8s/yaml';

/** The node types kube-bench knows, each with its own controls file `<type>.yaml`. */
export const KUBE_BENCH_TARGETS = ['master', 'node', 'controlplane', 'etcd', 'policies', 'managedservices'] as const;
export type KubeBenchTarget = (typeof KUBE_BENCH_TARGETS)[number];

export type ConfigMap = Record<string, unknown>;

/**
 * kube-bench's configuration: the global cfg/config.yaml with the benchmark's own
 * cfg/<benchmark>/config.yaml merged over it (viper.MergeInConfig: maps merge key by key, any
 * other value replaces). Keys are lower-cased, as viper does.
 */
export interface KubeBenchConfig {
  /** Folder holding config.yaml and one folder per benchmark. */
  cfgDir: string;
  benchmark: string;
  values: ConfigMap;
}

/** The global cfg/config.yaml alone (for `version_mapping`). */
export function loadGlobalConfig(cfgDir: string): ConfigMap {
  const globalFile = path.join(cfgDir, 'config.yaml');
  if (!existsSync(globalFile)) throw new BadInputError(`kube-bench config ${globalFile} does not exist (is ${cfgDir} a kube-bench cfg folder?)`);
  return readYamlMap(globalFile);
}

/** Reads and merges the configuration for one benchmark. */
export function loadKubeBenchConfig(cfgDir: string, benchmark: string): KubeBenchConfig {
  let values = loadGlobalConfig(cfgDir);
  const benchDir = path.join(cfgDir, benchmark);
  if (!/^[A-Za-z0-9._-]+$/.test(benchmark) || !existsSync(benchDir) || !statSync(benchDir).isDirectory()) {
    throw new BadInputError(`unknown benchmark ${JSON.stringify(benchmark)}: no folder ${benchDir} (available: ${listBenchmarks(cfgDir).join(', ')})`);
  }
  const specific = path.join(benchDir, 'config.yaml');
  if (existsSync(specific)) values = mergeConfig(values, readYamlMap(specific));
  return { cfgDir, benchmark, values };
}

/** The benchmark folders of a cfg dir (those with at least one controls file). */
export function listBenchmarks(cfgDir: string): string[] {
  if (!existsSync(cfgDir)) return [];
  return readdirSync(cfgDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

function readYamlMap(file: string): ConfigMap {
  let parsed: unknown;
  try {
    // go-yaml v2's scalar resolution (YAML 1.1 booleans, octal, ...), as kube-bench's viper reads it.
    parsed = load(readFileSync(file, 'utf8'), { schema: KUBERNETES_YAML_SCHEMA, json: true });
  } catch (error) {
    throw new BadInputError(`${file}: invalid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isConfigMap(parsed)) throw new BadInputError(`${file}: expected a YAML mapping at the top level`);
  return lowerKeys(parsed) as ConfigMap;
}

function lowerKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(lowerKeys);
  if (!isConfigMap(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), lowerKeys(v)]));
}

export function mergeConfig(base: ConfigMap, over: ConfigMap): ConfigMap {
  const out: ConfigMap = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isConfigMap(current) && isConfigMap(value) ? mergeConfig(current, value) : value;
  }
  return out;
}

export function isConfigMap(value: unknown): value is ConfigMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** viper.GetStringSlice: a list gives its items as strings; a string is split on whitespace. */
export function stringSlice(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v) => v !== null && v !== undefined).map((v) => String(v));
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (value === null || value === undefined) return [];
  return [String(value)];
}

/** viper.GetString. */
export function stringValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value) || isConfigMap(value)) return '';
  return String(value);
}

/**
 * Maps a Kubernetes version (`1.27`, or a platform key like `eks-1.5.0`) to a benchmark id with
 * the `version_mapping` table, stepping the minor version down until a mapping is found, as
 * kube-bench's mapToBenchmarkVersion does.
 */
export function benchmarkForKubernetesVersion(values: ConfigMap, kubeVersion: string): string {
  const mapping = values['version_mapping'];
  if (!isConfigMap(mapping) || Object.keys(mapping).length === 0) throw new BadInputError("kube-bench config is missing the 'version_mapping' section");
  let kv = kubeVersion.trim().replace(/^v/, '');
  const m = /^(\d+)\.(\d+)/.exec(kv);
  if (m) kv = `${m[1]}.${m[2]}`;
  while (kv !== '') {
    const found = mapping[kv];
    if (found !== undefined) return String(found);
    kv = decrementVersion(kv);
  }
  throw new BadInputError(`unable to find a matching benchmark version for Kubernetes version ${kubeVersion}`);
}

function decrementVersion(version: string): string {
  const parts = version.split('.');
  if (parts.length < 2) return '';
  const minor = Number.parseInt(parts[1] ?? '', 10);
  if (!Number.isFinite(minor) || minor <= 1) return '';
  parts[1] = String(minor - 1);
  return parts.join('.');
}

/** The targets `target_mapping` declares for the benchmark. */
export function targetsOfBenchmark(values: ConfigMap, benchmark: string): KubeBenchTarget[] {
  const mapping = values['target_mapping'];
  if (!isConfigMap(mapping)) throw new BadInputError("kube-bench config is missing the 'target_mapping' section");
  const targets = stringSlice(mapping[benchmark]).map((t) => t.toLowerCase());
  if (targets.length === 0) throw new BadInputError(`no targets configured for benchmark ${benchmark} in target_mapping`);
  return targets.filter((t): t is KubeBenchTarget => (KUBE_BENCH_TARGETS as readonly string[]).includes(t));
}
