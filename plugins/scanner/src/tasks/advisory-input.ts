import { planAdvisoryImport, type AdvisoryStore, type ImportReport, type SourceStatus } from '@bulkhead/vulndb';

/**
 * Imports advisory inputs (files or folders in any format readAdvisories knows: OSV JSON, JSON
 * lines, zip or folder, Debian tracker lists or JSON, Alpine secdb) into the store, one
 * transaction per source group. Every input is recognised before anything is read, so a typo
 * or an unknown format fails the import before it starts, naming the path.
 */
export async function importAdvisoryInputs(
  store: Pick<AdvisoryStore, 'import'>,
  inputs: readonly string[],
  options: { source?: string; feed?: SourceStatus['feed']; replaceSource?: boolean; signal?: AbortSignal } = {},
): Promise<ImportReport[]> {
  const groups = await planAdvisoryImport(inputs, options.source ? { source: options.source } : {});
  const reports: ImportReport[] = [];
  for (const group of groups) {
    options.signal?.throwIfAborted();
    reports.push(await store.import(group.source, group.read(), options.feed, { replaceSource: options.replaceSource ?? false }));
  }
  return reports;
}
