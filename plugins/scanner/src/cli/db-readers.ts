import { readOsv, type Advisory, type RejectedRecord } from '@bulkhead/vulndb';

/**
 * The records of one `db import` path, whatever its format. The format detection lives with the
 * readers (libs/vulndb/src/import); this is the one place the CLI calls them.
 */
export async function readAdvisoryInput(file: string): Promise<AsyncIterable<Advisory | RejectedRecord>> {
  return readOsv(file);
}
