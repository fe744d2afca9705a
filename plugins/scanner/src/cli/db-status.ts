import { usageError, EXIT_CODES, type CliHost } from '@bulkhead/plugin-sdk/cli';
import type { StoreStatus } from '@bulkhead/vulndb';
import { withEmbeddedStore, type CacheDirOption } from './db-store';

const FORMATS = ['table', 'json'] as const;

/** `bulkhead db status`: the embedded store's sources, record counts and last updates. */
export async function dbStatus(options: CacheDirOption & { format: string }, host: CliHost): Promise<number> {
  if (!(FORMATS as readonly string[]).includes(options.format)) throw usageError(`unknown --format ${JSON.stringify(options.format)}: use one of ${FORMATS.join(', ')}`);
  const status = await withEmbeddedStore(options, 'read', (store) => store.status());
  host.out(options.format === 'json' ? JSON.stringify(status, null, 2) : formatStatus(status));
  return EXIT_CODES.ok;
}

export function formatStatus(status: StoreStatus): string {
  const lines = [`Advisory database: ${status.location}`, `Advisories: ${status.advisories} (affected package entries: ${status.affectedPackages})`];
  if (status.sources.length === 0) {
    lines.push('No sources imported yet: run bulkhead db import <path> or bulkhead db update --feed <url>');
    return lines.join('\n');
  }
  const rows = status.sources.map((s) => [
    s.source,
    String(s.records),
    s.updatedAt,
    s.feed ? [s.feed.etag ? `etag ${s.feed.etag}` : '', s.feed.lastModified ? `last-modified ${s.feed.lastModified}` : '', s.feed.checkedAt ? `checked ${s.feed.checkedAt}` : ''].filter(Boolean).join(', ') : '',
  ]);
  const header = ['SOURCE', 'RECORDS', 'UPDATED', 'FEED'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  lines.push('', line(header), ...rows.map(line));
  return lines.join('\n');
}
