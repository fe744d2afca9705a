import { existsSync } from 'node:fs';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { EXIT_CODES, usageError, type CliHost } from '@bulkhead/plugin-sdk/cli';
import { embeddedStorePath, resolveCacheDir, withFeed, type SourceStatus } from '@bulkhead/vulndb';
import { feedRecords } from './db-readers';
import { importSummary, rejectionLines, withRecordProgress } from './db-report';
import { withEmbeddedStore, type CacheDirOption } from './db-store';

type Feed = NonNullable<SourceStatus['feed']>;

export const NO_FEEDS_MESSAGE =
  'no feeds to update: bulkhead has no built-in advisory feeds. Give one or more with --feed URL (an OSV .zip, .jsonl or .json, e.g. a mirror of osv.dev\'s <ecosystem>/all.zip); they are remembered for later runs';

/**
 * `bulkhead db update [--feed URL...]`: each feed is a source of the embedded store named by its
 * URL. The download is conditional (the validators stored with the source: a 304 downloads
 * nothing), verified before it is read (wt-import's fetchFeed: checksum sidecar, Content-Length,
 * zip central directory), then imported in one transaction that replaces the source whole. A
 * failed, truncated or unverifiable download leaves the stored data as it was. Without --feed,
 * the feeds remembered from earlier runs are updated.
 */
export async function dbUpdate(feeds: readonly string[], options: CacheDirOption, host: CliHost): Promise<number> {
  const cacheDir = resolveCacheDir(options.cacheDir);
  // Without feeds and without a database there is nothing to update: say so before creating one.
  if (feeds.length === 0 && !existsSync(embeddedStorePath(cacheDir))) throw usageError(NO_FEEDS_MESSAGE);
  return withEmbeddedStore(options, 'write', async (store) => {
    const remembered = new Map<string, Feed>();
    for (const source of (await store.status()).sources) if (source.feed) remembered.set(source.feed.url, source.feed);
    const urls = feeds.length > 0 ? [...new Set(feeds)] : [...remembered.keys()];
    if (urls.length === 0) throw usageError(NO_FEEDS_MESSAGE);
    let failed = 0;
    const progress = host.progressPrinter();
    for (const [index, url] of urls.entries()) {
      const previous = remembered.get(url) ?? { url };
      progress(index / urls.length, `${url}: downloading`);
      try {
        const outcome = await host.interruptible((signal) =>
          withFeed(url, previous, { cacheDir, onWarning: (message) => host.err(`warning: ${message}`), fetch: (input, init) => fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal }) }, async (file, validators) => {
            const feed: Feed = { url, ...validators, checkedAt: new Date().toISOString() };
            return store.import(url, withRecordProgress(await feedRecords(url, file), url, index, urls.length, progress), feed, { replaceSource: true });
          }),
        );
        if (outcome.status === 'downloaded') {
          host.out(importSummary(url, outcome.result));
          for (const line of rejectionLines(url, outcome.result)) host.err(line);
          if (outcome.result.imported === 0) {
            host.err(`${url}: the feed held no advisory`);
            failed++;
          }
        } else {
          await store.touchFeed(url, { ...previous, ...outcome.validators, url, checkedAt: new Date().toISOString() });
          host.out(outcome.status === 'not-modified' ? `${url}: not modified since the last update (HTTP 304): nothing downloaded` : `${url}: unchanged (same SHA-256 as the last download)`);
        }
      } catch (error) {
        if (!(error instanceof BadInputError)) throw error;
        host.err(`${url}: not updated, the stored data is kept: ${error.message}`);
        failed++;
      }
    }
    return failed > 0 ? EXIT_CODES.failed : EXIT_CODES.ok;
  });
}
