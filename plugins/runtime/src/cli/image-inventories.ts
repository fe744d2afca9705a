import { CliError, type CliHost } from '@bulkhead/plugin-sdk/cli';

/**
 * Scans each image inline with the scanner's `scan-image` task (as `bulkhead scan` does) and
 * keys its recorded executables (absolute paths) by the image digest, for drift detection on
 * replayed events. Says on stderr which digest each reference got, since events must carry it.
 */
export async function scanImageExecutables(references: readonly string[], host: CliHost, signal?: AbortSignal): Promise<Map<string, readonly string[]>> {
  const inventories = new Map<string, readonly string[]>();
  for (const source of references) {
    const outcome = await host.runTask('scanner', 'scan-image', { source }, signal ? { signal } : {});
    const digest = (outcome.output as { digest: string }).digest;
    const executables = outcome.artifacts.find((a) => a.digest === digest)?.metadata?.['executables'];
    if (!Array.isArray(executables) || executables.some((p) => typeof p !== 'string')) {
      throw new CliError(`--image ${source}: the scanner recorded no executables list for ${digest}`);
    }
    inventories.set(digest, executables as string[]);
    host.err(`replay: --image ${source} is ${digest} (${executables.length} executables)`);
  }
  return inventories;
}
