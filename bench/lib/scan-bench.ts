import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

/*
 * What the image-scan benchmarks share: each measured scan runs in a fresh child process (the
 * same script with `--child ...`), so its peak RSS is its own, and the floor it is compared to is
 * a shell pipeline over the same layer blob.
 */

/** This process's peak resident set (VmHWM), in bytes. */
export function peakRss(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : process.memoryUsage().rss;
}

/** Runs `script --child ...args` in a new Node process and parses the JSON line it prints last. */
export function runChildJson<T>(script: string, args: readonly string[], what: string): T {
  const run = spawnSync(process.execPath, [script, '--child', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`${what} failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as T;
}

/** Wall time of a bash pipeline (`set -o pipefail`), its arguments passed as $1, $2 …, in ms. */
export function timeShell(script: string, ...args: string[]): number {
  const start = performance.now();
  execFileSync('bash', ['-c', `set -o pipefail; ${script}`, '_', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  return performance.now() - start;
}

/** The one layer blob of a single-layer image in an OCI layout (the minbase image). */
export function ociLayerBlob(layout: string, manifestDigest: string): string {
  const blob = (digest: string): string => path.join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const manifest = JSON.parse(readFileSync(blob(manifestDigest), 'utf8')) as { layers: { digest: string }[] };
  const [layer] = manifest.layers;
  if (manifest.layers.length !== 1 || !layer) throw new Error('the minbase image is expected to have one layer');
  return blob(layer.digest);
}
