import { BadInputError } from '@bulkhead/plugin-sdk';

/*
 * Advisory feeds a server may fetch. `updateAdvisories` makes the server (the worker) open
 * URLs, which is a server-side request forgery risk: a URL chosen by a client could reach the
 * cloud metadata endpoint (169.254.169.254), an admin port on localhost, or any host inside the
 * cluster network, and the error or timing would tell the client what is there. So a server
 * fetches only the feeds its operator listed in BULKHEAD_ADVISORY_FEEDS (comma-separated
 * http(s) URLs, compared exactly after URL normalisation); a client may pick among them, never
 * name another. Unset: no feed may be fetched (advisories are then imported from files with
 * importAdvisories). The API checks a request before queueing it and the worker checks the
 * task's input again before fetching anything (a task can also be queued with submitTask).
 */

export const ADVISORY_FEEDS_SETTING = 'BULKHEAD_ADVISORY_FEEDS';

/** A URL's normal form, or an error naming `field` when it is not an http: or https: URL. */
export function normalizeFeedUrl(field: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new BadInputError(`${field}: ${JSON.stringify(value.slice(0, 200))} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BadInputError(`${field}: only http: and https: feeds can be fetched, not ${url.protocol}`);
  }
  if (url.username || url.password) throw new BadInputError(`${field}: a feed URL must not carry credentials`);
  url.hash = '';
  return url.toString();
}

/** The operator's list (BULKHEAD_ADVISORY_FEEDS), normalised; a bad entry names the setting. */
export function parseFeedAllowList(value: string | undefined): string[] {
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return [...new Set(entries.map((entry, index) => normalizeFeedUrl(`${ADVISORY_FEEDS_SETTING}[${index}]`, entry)))];
}

/**
 * The feeds to fetch: the requested ones (each must be in the allow-list), or every listed feed
 * when none is requested. Throws a BadInputError naming the first refused feed.
 */
export function feedsToFetch(requested: readonly string[] | undefined, allowList: readonly string[]): string[] {
  if (allowList.length === 0) {
    throw new BadInputError(`feeds: this server fetches no advisory feeds; the operator lists the allowed ones in ${ADVISORY_FEEDS_SETTING} (comma-separated http(s) URLs)`);
  }
  if (!requested || requested.length === 0) return [...allowList];
  const allowed = new Set(allowList);
  return [
    ...new Set(
      requested.map((feed, index) => {
        const normal = normalizeFeedUrl(`feeds.${index}`, feed);
        if (!allowed.has(normal)) throw new BadInputError(`feeds.${index}: ${JSON.stringify(normal)} is not one of the feeds this server may fetch (${ADVISORY_FEEDS_SETTING})`);
        return normal;
      }),
    ),
  ];
}
