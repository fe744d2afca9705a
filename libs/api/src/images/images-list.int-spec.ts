import { graphql, graphqlData, startTestPlatform, type TestPlatform } from '../testing';
import { ResultWriter } from '@bulkhead/persistence';
import { definePlugin, defineTask, PluginRegistry } from '@bulkhead/plugin-sdk';
import { z } from 'zod';

/**
 * `images(search, package, first, after)` and `me` against the real API and Postgres: what the
 * web console lists. Team scoping, keyset pages, LIKE wildcards taken literally, bad cursors.
 */
jest.setTimeout(60_000);

const idlePlugin = definePlugin({
  manifest: { id: 'test.idle', version: '1.0.0', kind: 'scanner', phases: ['build'], description: 'does nothing' },
  tasks: [defineTask({ type: 'idle', description: 'returns at once', input: z.object({}), run: async () => ({}) })],
});

const digest = (c: string) => `sha256:${c.repeat(64)}`;
interface ImagesPage {
  images: { totalCount: number; pageInfo: { endCursor: string | null; hasNextPage: boolean }; edges: { node: { digest: string; references: string[] } }[] };
}
const QUERY = 'query($s: String, $p: String, $first: Int, $after: String) { images(search: $s, package: $p, first: $first, after: $after) { totalCount pageInfo { endCursor hasNextPage } edges { node { digest references } } } }';

describe('images list and me', () => {
  let platform: TestPlatform;
  let blue: string;

  beforeAll(async () => {
    platform = await startTestPlatform({ label: 'api_images_list', registry: new PluginRegistry([idlePlugin]), kinds: ['scanner'] });
    const write = async (team: string, d: string, reference: string, packages: string[]) => {
      const writer = new ResultWriter(platform.db.dataSource, null, undefined, { team });
      await writer.artifact({ digest: d, references: [reference], size: 1, layers: [] });
      await writer.packages(d, packages.map((name) => ({ type: 'deb', name, version: '1.0', purl: `pkg:deb/debian/${name}@1.0` })));
    };
    await write('default', digest('1'), 'registry.example.com/shop/cart:1.0', ['openssl', 'bash']);
    await write('default', digest('2'), 'registry.example.com/shop/web_100%:2', ['bash']);
    await write('default', digest('3'), 'oci:/images/payments', ['zlib']);
    await write('blue', digest('4'), 'registry.example.com/shop/blue-secret:1', ['openssl']);
    blue = (await platform.createToken('viewer', 'blue')).secret;
  });

  afterAll(async () => {
    await platform?.stop();
  });

  const images = async (variables: Record<string, unknown>, token?: string) => (await graphqlData<ImagesPage>(platform.api.url, QUERY, variables, token ? { token } : {})).images;
  const digests = (page: ImagesPage['images']) => page.edges.map((e) => e.node.digest).sort();

  it("lists the team's images only, in keyset pages", async () => {
    const all = await images({});
    expect(all.totalCount).toBe(3);
    expect(digests(all)).toEqual([digest('1'), digest('2'), digest('3')]);
    const first = await images({ first: 2 });
    expect(first.edges).toHaveLength(2);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await images({ first: 2, after: first.pageInfo.endCursor });
    expect(second.edges).toHaveLength(1);
    expect(new Set([...digests(first), ...digests(second)]).size).toBe(3);
    const theirs = await images({}, blue);
    expect(digests(theirs)).toEqual([digest('4')]);
  });

  it('searches names (case-insensitive) and image id prefixes; package by exact name; never across teams', async () => {
    expect(digests(await images({ s: 'SHOP/CART' }))).toEqual([digest('1')]);
    expect(digests(await images({ s: digest('3').slice(0, 20) }))).toEqual([digest('3')]);
    expect(digests(await images({ p: 'openssl' }))).toEqual([digest('1')]);
    expect(digests(await images({ p: 'bash', s: 'web' }))).toEqual([digest('2')]);
    expect((await images({ s: 'blue-secret' })).totalCount).toBe(0);
    expect(digests(await images({ p: 'openssl' }, blue))).toEqual([digest('4')]);
  });

  it('takes LIKE wildcards and quotes literally; a forged cursor is a clear error', async () => {
    expect(digests(await images({ s: '100%' }))).toEqual([digest('2')]);
    // Only the name holding a literal % or _ (as wildcards they would match every image).
    expect(digests(await images({ s: '%' }))).toEqual([digest('2')]);
    expect(digests(await images({ s: '_' }))).toEqual([digest('2')]);
    expect((await images({ s: 'shop_cart' })).totalCount).toBe(0);
    expect((await images({ s: 'sha256:%' })).totalCount).toBe(0);
    expect((await images({ s: "x' OR '1'='1" })).totalCount).toBe(0);
    const bad = await graphql(platform.api.url, QUERY, { after: 'bm90LWEtY3Vyc29y' });
    expect(bad.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('me names the caller: token name, team and role', async () => {
    const me = await graphqlData<{ me: { team: string; role: string; name: string } }>(platform.api.url, '{ me { team role name } }', {}, { token: blue });
    expect(me.me).toEqual({ team: 'blue', role: 'viewer', name: 'test-viewer' });
  });
});
