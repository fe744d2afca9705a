import { z } from 'zod';
import { defineTask } from '@bulkhead/plugin-sdk';
import { PostgresAdvisoryStore, withFeed, type FeedValidators, type ImportReport } from '@bulkhead/vulndb';
import { ADVISORY_FEEDS_SETTING, feedsToFetch, parseFeedAllowList } from './advisory-feeds';
import { importAdvisoryInputs } from './advisory-input';
import { queueRematch, summariseImport, type ImportSummary } from './advisory-changes';
import { MAX_UPDATE_FEEDS, REMATCH_VULNERABILITIES_TASK, UPDATE_ADVISORIES_TASK } from './advisory-task-types';
import { requirePlatform } from './platform';

export const updateAdvisoriesInput = z
  .object({
    feeds: z
      .array(z.string().min(1).max(2048))
      .max(MAX_UPDATE_FEEDS)
      .optional()
      .describe(`Feed URLs to fetch, each one of the server's ${ADVISORY_FEEDS_SETTING}; absent or empty: all of them`),
  })
  .strict();

export interface UpdateSummary extends ImportSummary {
  feeds: { url: string; status: 'not-modified' | 'unchanged' | 'downloaded' }[];
}

/**
 * `update-advisories`: fetches advisory feeds into the server's advisory store (conditional
 * HTTP with the validators the store kept; the body verified before it replaces the feed's
 * records in one transaction; a failed or truncated download keeps the old data), then queues
 * the re-matching of every team's images when anything changed. The worker fetches only feeds
 * its own BULKHEAD_ADVISORY_FEEDS lists, whatever the input says (SSRF: advisory-feeds.ts).
 */
export const updateAdvisoriesTask = defineTask({
  type: UPDATE_ADVISORIES_TASK.type,
  description: 'Fetches the advisory feeds the server allows into the advisory database (server only), then re-matches every team\'s images',
  input: updateAdvisoriesInput,
  everyTeamFollowUps: [REMATCH_VULNERABILITIES_TASK],
  async run(input, ctx): Promise<UpdateSummary> {
    const platform = requirePlatform(ctx, UPDATE_ADVISORIES_TASK.type, 'bulkhead db update --feed URL');
    // Read here, in the process that fetches: the API's check may be stale or bypassed (submitTask).
    const feeds = feedsToFetch(input.feeds, parseFeedAllowList(process.env[ADVISORY_FEEDS_SETTING]));
    const store = new PostgresAdvisoryStore(platform.database);
    const known = new Map((await store.status()).sources.map((source) => [source.source, source.feed]));
    const reports: ImportReport[] = [];
    const fetched: UpdateSummary['feeds'] = [];
    for (const [index, url] of feeds.entries()) {
      ctx.signal.throwIfAborted();
      ctx.progress(index / feeds.length, `fetching ${url}`);
      const previous: FeedValidators = known.get(url) ?? {};
      const outcome = await withFeed(
        url,
        { ...(previous.etag ? { etag: previous.etag } : {}), ...(previous.lastModified ? { lastModified: previous.lastModified } : {}), ...(previous.sha256 ? { sha256: previous.sha256 } : {}) },
        { cacheDir: ctx.workDir, onWarning: (message) => ctx.logger.warn({ feed: url }, message) },
        // A feed is its source's complete data: records it no longer carries are removed.
        (file, validators) => importAdvisoryInputs(store, [file], { source: url, feed: { url, ...validators }, replaceSource: true, signal: ctx.signal }),
      );
      if (outcome.status === 'downloaded') reports.push(...outcome.result);
      else await store.touchFeed(url, { url, ...outcome.validators });
      ctx.logger.info({ feed: url, status: outcome.status }, 'advisory feed checked');
      fetched.push({ url, status: outcome.status });
    }
    return { feeds: fetched, sources: reports.map(summariseImport), rematch: await queueRematch(platform, ctx, reports) };
  },
});
