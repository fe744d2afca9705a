import { CliError, printInfo, type CliHost } from '@bulkhead/plugin-sdk/cli';

/**
 * Scans each image inline with the scanner's `scan-image` task (as `bulkhead scan` does) and
 * keys its recorded executables (absolute paths) by the image id and by every manifest digest
 * of the image (Kubernetes reports a pod's image by manifest digest), for drift detection on
 * replayed events. Says on stderr which digests each reference got, since events must carry one.
 */
export async function scanImageExecutables(references: readonly string[], host: CliHost, signal?: AbortSignal): Promise<Map<string, readonly string[]>> {
  const inventories = new Map<string, readonly string[]>();
  for (const source of references) {
    const outcome = await host.runTask('scanner', 'scan-image', { source }, { onProgress: host.progressPrinter(), ...(signal ? { signal } : {}) });
    const digest = (outcome.output as { digest: string }).digest;
    const artifact = outcome.artifacts.find((a) => a.digest === digest);
    const executables = artifact?.metadata?.['executables'];
    if (!Array.isArray(executables) || executables.some((p) => typeof p !== 'string')) {
      throw new CliError(`--image ${source}: the scanner recorded no executables list for ${digest}`);
    }
    const manifestDigests = artifact?.manifestDigests ?? [];
    for (const key of [digest, ...manifestDigests]) inventories.set(key, executables as string[]);
    const aka = manifestDigests.length > 0 ? `, manifest ${manifestDigests.join(', ')}` : '';
    printInfo(host, `replay: --image ${source} is ${digest}${aka} (${executables.length} executables)`);
  }
  return inventories;
}
