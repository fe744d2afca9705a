import { readOsv, type AdvisoryItem } from '@bulkhead/vulndb';

/** An advisory file or folder on the server, opened as the store's input. */
export interface AdvisoryInput {
  /** The source label its records are stored under (one per file or folder: a re-import replaces its records). */
  source: string;
  records: AsyncIterable<AdvisoryItem>;
}

/** Opens `path` (OSV JSON, JSON lines, zip or folder) for import; bad input names the file. */
export function openAdvisoryInput(path: string): AdvisoryInput {
  const source = `osv:${path}`;
  return { source, records: readOsv(path, { source }) };
}
