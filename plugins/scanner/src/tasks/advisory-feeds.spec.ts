import { BadInputError } from '@bulkhead/plugin-sdk';
import { feedsToFetch, normalizeFeedUrl, parseFeedAllowList } from './advisory-feeds';

describe('advisory feeds (SSRF allow-list)', () => {
  const allow = parseFeedAllowList(' https://mirror.example/osv/all.zip , http://10.0.0.5:8080/debian.zip ');

  it('normalises the allow-list and refuses non-http(s) entries, naming the setting', () => {
    expect(allow).toEqual(['https://mirror.example/osv/all.zip', 'http://10.0.0.5:8080/debian.zip']);
    expect(parseFeedAllowList(undefined)).toEqual([]);
    expect(() => parseFeedAllowList('https://ok.example/a.zip,file:///etc/passwd')).toThrow(/BULKHEAD_ADVISORY_FEEDS\[1\]: only http: and https:/);
  });

  it('fetches every listed feed by default and only listed ones on request', () => {
    expect(feedsToFetch(undefined, allow)).toEqual(allow);
    expect(feedsToFetch(['HTTPS://MIRROR.example/osv/all.zip#x'], allow)).toEqual(['https://mirror.example/osv/all.zip']);
    expect(() => feedsToFetch(['http://169.254.169.254/latest/meta-data/'], allow)).toThrow(/feeds.0: "http:\/\/169.254.169.254\/latest\/meta-data\/" is not one of the feeds/);
    expect(() => feedsToFetch(['gopher://x/'], allow)).toThrow(/only http: and https:/);
    expect(() => feedsToFetch(['https://user:pw@mirror.example/osv/all.zip'], allow)).toThrow(/credentials/);
    expect(() => feedsToFetch(undefined, [])).toThrow(BadInputError);
    expect(() => normalizeFeedUrl('feeds.0', 'not a url')).toThrow(/feeds.0: "not a url" is not a URL/);
  });
});
