import { graphql, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';

/*
 * The API starts without BULKHEAD_SIGNER_MASTER_KEY (a platform that never signs needs none); a
 * key operation then says what is missing, naming the variable, and a short key is refused the
 * same way. Public parts stay readable.
 */
describe('signer without a master key', () => {
  let platform: TestPlatform;
  const saved = process.env['BULKHEAD_SIGNER_MASTER_KEY'];

  beforeAll(async () => {
    delete process.env['BULKHEAD_SIGNER_MASTER_KEY'];
    const packages = builtinPluginPackages();
    platform = await startTestPlatform({ label: 'api_signer_nokey', registry: registryOf(packages), plugins: packages, kinds: ['signer'] });
  });
  afterAll(async () => {
    await platform?.stop();
    if (saved !== undefined) process.env['BULKHEAD_SIGNER_MASTER_KEY'] = saved;
  });

  it('starts, lists (no) keys, and refuses createSigningKey naming the variable', async () => {
    expect(await graphqlData<{ signingKeys: unknown[] }>(platform.api.url, '{ signingKeys { id } }')).toEqual({ signingKeys: [] });
    const created = await graphql(platform.api.url, 'mutation { createSigningKey(name: "k") { id } }');
    expect(created.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(created.errors?.[0]?.message).toMatch(/BULKHEAD_SIGNER_MASTER_KEY is not set/);
    const [{ count }] = await platform.db.dataSource.query('SELECT count(*)::int AS count FROM signer_key');
    expect(count).toBe(0);
  });
});

describe('signer with a short master key', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    const packages = builtinPluginPackages();
    platform = await startTestPlatform({
      label: 'api_signer_shortkey',
      registry: registryOf(packages),
      plugins: packages,
      kinds: ['signer'],
      env: { BULKHEAD_SIGNER_MASTER_KEY: Buffer.alloc(16, 1).toString('base64') },
    });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('starts, and refuses key operations saying the key must be 32 bytes', async () => {
    const created = await graphql(platform.api.url, 'mutation { createSigningKey(name: "k") { id } }');
    expect(created.errors?.[0]?.message).toMatch(/BULKHEAD_SIGNER_MASTER_KEY must decode to 32 bytes \(got 16\)/);
  });
});
