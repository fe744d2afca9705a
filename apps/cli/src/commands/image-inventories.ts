import { randomUUID } from 'node:crypto';
import { CollectingEmitter, runTask } from '@bulkhead/task-runner';
import { CliError, type CliIo } from '../cli-io';
import { cliRegistry } from '../registry';

/**
 * Scans each image inline with the scanner's `scan-image` task (as `bulkhead scan` does) and
 * keys its recorded executables (absolute paths) by the image id and by every manifest digest
 * of the image (Kubernetes reports a pod's image by manifest digest), for drift detection on
 * replayed events. Says on stderr which digests each reference got, since events must carry one.
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
    const manifestDigests = emit.artifacts.get(digest)?.manifestDigests ?? [];
    for (const key of [digest, ...manifestDigests]) inventories.set(key, executables as string[]);
    const aka = manifestDigests.length > 0 ? `, manifest ${manifestDigests.join(', ')}` : '';
    io.err(`replay: --image ${source} is ${digest}${aka} (${executables.length} executables)`);
  }
  return inventories;
}
