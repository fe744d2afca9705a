import { benchmarkProfiles, benchmarkTaskFor } from '@bulkhead/plugin-benchmark';
import { parseTaskInput, type PluginRegistry } from '@bulkhead/plugin-sdk';
import { stableStringify } from '@bulkhead/queue';

/** The profile and target a benchmark task was made from, as far as its input tells. */
export interface BenchmarkTaskDescription {
  profile: string | null;
  target: string | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where the plugin's profiles put their target: a manifest path, a file, an image, a node root. */
function targetCandidates(input: Record<string, unknown>): string[] {
  const candidates: string[] = [];
  const paths = input['paths'];
  if (Array.isArray(paths) && paths.length === 1 && typeof paths[0] === 'string') candidates.push(paths[0]);
  for (const key of ['path', 'reference', 'root']) {
    const value = input[key];
    if (typeof value === 'string') candidates.push(value);
  }
  return candidates;
}

/** Strings in the input that may be a profile variant (`@v1.30`, `@cis-1.8`, `@restricted`). */
function variantCandidates(value: unknown, depth = 0, out = new Set<string>()): Set<string> {
  if (typeof value === 'string') out.add(value);
  else if (depth < 3 && Array.isArray(value)) value.forEach((v) => variantCandidates(v, depth + 1, out));
  else if (depth < 3 && isRecord(value)) Object.values(value).forEach((v) => variantCandidates(v, depth + 1, out));
  return out;
}

/**
 * Finds the profile that produces this task. The task row keeps only the plugin's task type and
 * validated input, so the profile is recovered by asking the plugin's own mapping
 * (`benchmarkTaskFor`) which profile, target and variant yield exactly that input (after the
 * same validation the submitter applied). Plain names are tried before `name@variant`.
 */
export function describeBenchmarkTask(registry: PluginRegistry, type: string, input: unknown): BenchmarkTaskDescription {
  if (!isRecord(input)) return { profile: null, target: null };
  const definition = registry.findTask('benchmark', type)?.definition;
  const explicit = targetCandidates(input);
  const fallbackTarget = explicit[0] ?? null;
  // kube-bench's profile leaves `root` out for the node the worker runs on (target `/`).
  const targets = [...new Set([...explicit, '/'])];
  if (!definition) return { profile: null, target: fallbackTarget };
  const wanted = stableStringify(input);
  const variants: (string | undefined)[] = [undefined, ...variantCandidates(input)];
  for (const variant of variants) {
    for (const name of Object.keys(benchmarkProfiles)) {
      const profile = variant === undefined ? name : `${name}@${variant}`;
      for (const target of targets) {
        let candidate: unknown;
        try {
          const request = benchmarkTaskFor(target, profile);
          if (request.type !== type) break; // this profile makes another task type whatever the target
          candidate = parseTaskInput(definition, request.input);
        } catch {
          continue;
        }
        if (stableStringify(candidate) === wanted) return { profile, target };
      }
    }
  }
  return { profile: null, target: fallbackTarget };
}
