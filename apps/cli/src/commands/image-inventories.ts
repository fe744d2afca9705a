import { randomUUID } from 'node:crypto';
import { CollectingEmitter, runTask } from '@bulkhead/plugin-sdk';
import { CliError, type CliIo } from '../cli-io';
import { cliRegistry } from '../registry';

/**
 * Scans each image inline with the scanner's `scan-image` task (as `bulkhead scan` does) and
 * keys its recorded executables (absolute paths) by the image digest, for drift detection on replayed events.
 * Says on stderr which digest each reference got, since events must carry that digest.
 */
export async function scanImageExecutables(references: readonly string[], io: CliIo, signal?: AbortSignal): Promise<Map<string, readonly string[]>> {
  const inventories = new Map<string, readonly string[]>();
  const registry = cliRegistry();
  for (const source of references) {
    const emit = new CollectingEmitter();
    const { output } = await runTask({ taskId: randomUUID(), kind: 'scanner', type: 'scan-image', input: { source } }, { registry, emit, ...(signal ? { signal } : {}) });
    const digest = (output as { digest: string }).digest;
    const executables = emit.artifacts.get(digest)?.metadata?.['executables'];
    if (!Array.isArray(executables) || executables.some((p) => typeof p !== 'string')) {
      throw new CliError(`--image ${source}: the scanner recorded no executables list for ${digest}`);
    }
    inventories.set(digest, executables as string[]);
    io.err(`replay: --image ${source} is ${digest} (${executables.length} executables)`);
  }
  return inventories;
}
