import path from 'node:path';
import { ALPINE_SECDB_SOURCE, planAdvisoryImport, readOsvJsonLines, type Advisory, type RejectedRecord } from '@bulkhead/vulndb';

/** One import into the store: a source (replaced whole by each import of it) and its records. */
export interface PlannedImport {
  /** The paths (or feed URL) as the user gave them, for messages. */
  label: string;
  /** The store's source: an import replaces everything this source held. */
  source: string;
  read(): AsyncIterable<Advisory | RejectedRecord>;
}

/**
 * `db import` paths as the readers group them (libs/vulndb/src/import: OSV inputs one by one,
 * Debian tracker lists together, Alpine secdb files one by one). Throws BadInputError for an
 * unreadable or unknown path before anything is read.
 *
 * Each group is one store source, replaced whole on re-import, so its label must name exactly
 * the data it covers: `osv:<path>` per OSV input, `debian-tracker` for the tracker (its lists
 * and its JSON are two forms of the same whole), and `alpine-secdb:<path>` per secdb file
 * (one file per Alpine release and repository: the readers' shared label would make importing
 * v3.19/main.json drop v3.18's records).
 */
export async function planImports(paths: readonly string[]): Promise<PlannedImport[]> {
  const groups = await planAdvisoryImport(paths);
  return groups.map((group) => ({
    label: group.paths.join(', '),
    source: group.source === ALPINE_SECDB_SOURCE ? `${ALPINE_SECDB_SOURCE}:${group.paths.map((p) => path.resolve(p)).join(',')}` : group.source,
    read: () => group.read(),
  }));
}

/**
 * The records of a downloaded feed body. The body's file name says nothing (a download
 * temporary), so JSON lines are told by the URL (`.jsonl`, `.ndjson`); zips, OSV JSON and secdb
 * documents by their content.
 */
export async function feedRecords(url: string, file: string): Promise<AsyncIterable<Advisory | RejectedRecord>> {
  const source = `osv:${url}`;
  const pathname = new URL(url).pathname.toLowerCase();
  if (pathname.endsWith('.jsonl') || pathname.endsWith('.ndjson')) return readOsvJsonLines(file, { source });
  const groups = await planAdvisoryImport([file], { source });
  const [group] = groups;
  if (!group || groups.length !== 1) throw new Error(`${url}: the download was read as ${groups.length} inputs`);
  return group.read();
}
