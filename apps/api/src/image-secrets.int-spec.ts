import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { graphql, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { testImageBuilder } from '@bulkhead/oci/testing';

/*
 * Image.secrets: a real scan (scanner plugin on a real worker) of an image holding two secrets;
 * the API lists them apart from the vulnerabilities, redacted, and no answer — Image.secrets or
 * the generic findings query with its `data` — ever holds a secret's bytes. Team-scoped.
 */

jest.setTimeout(120_000);

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const random = (n: number): string => Array.from(randomBytes(n), (b) => ALNUM[b % ALNUM.length]).join('');

interface Secret {
  ruleId: string;
  title: string;
  severity: string;
  status: string;
  category: string;
  path: string;
  line: number;
  match: string;
  layer: string | null;
  removedInLaterLayer: boolean;
}

describe('Image.secrets (API)', () => {
  let platform: TestPlatform;
  let work: string;
  let digest = '';
  const aws = `AKIA${random(16)}`;
  const github = `ghp_${random(36).toLowerCase()}`;

  beforeAll(async () => {
    const packages = builtinPluginPackages();
    platform = await startTestPlatform({ label: 'image_secrets', registry: registryOf(packages), plugins: packages, kinds: ['scanner'] });
    work = await mkdtemp(path.join(tmpdir(), 'bh-image-secrets-'));
    const layout = path.join(work, 'layout');
    await testImageBuilder.writeOciLayout(layout, [
      {
        ref: 'app',
        layers: [
          {
            entries: [
              { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
              { name: 'app/.env', content: `# deploy settings\nREGION=eu-west-1\nAWS_ACCESS_KEY_ID=${aws}\n` },
              { name: 'app/config/ci.yaml', content: `token: ${github}\n` },
            ],
          },
        ],
      },
    ]);
    const { scanImage } = await graphqlData<{ scanImage: { id: string } }>(platform.api.url, 'mutation($s: String!) { scanImage(source: $s) { id } }', { s: `oci:${layout}:app` });
    const deadline = Date.now() + 90_000;
    for (;;) {
      const { task } = await graphqlData<{ task: { status: string; error: string | null; result: { digest?: string } | null } }>(
        platform.api.url,
        'query($id: ID!) { task(id: $id) { status error result } }',
        { id: scanImage.id },
      );
      if (task.status === 'SUCCEEDED') {
        digest = task.result?.digest ?? '';
        break;
      }
      if (task.status === 'FAILED' || Date.now() > deadline) throw new Error(`scanImage: ${task.status} ${task.error ?? ''}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  afterAll(async () => {
    await platform?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("lists the image's secrets by rule, file and line, redacted", async () => {
    const viewer = (await platform.createToken('viewer')).secret;
    const { image } = await graphqlData<{ image: { secrets: { totalCount: number; edges: { node: Secret }[] } } }>(
      platform.api.url,
      'query($d: String!) { image(digest: $d) { secrets(first: 10) { totalCount edges { node { ruleId title severity status category path line match layer removedInLaterLayer } } } } }',
      { d: digest },
      { token: viewer },
    );
    const nodes = image.secrets.edges.map((e) => e.node).sort((a, b) => a.path.localeCompare(b.path));
    expect(image.secrets.totalCount).toBe(2);
    expect(nodes).toEqual([
      { ruleId: 'aws-access-key-id', title: 'AWS Access Key ID', severity: 'CRITICAL', status: 'OPEN', category: 'AWS', path: 'app/.env', line: 3, match: `AWS_ACCESS_KEY_ID=${'*'.repeat(20)}`, layer: expect.stringMatching(/^sha256:/), removedInLaterLayer: false },
      { ruleId: 'github-pat', title: 'GitHub Personal Access Token', severity: 'CRITICAL', status: 'OPEN', category: 'GitHub', path: 'app/config/ci.yaml', line: 1, match: `token: ${'*'.repeat(40)}`, layer: expect.stringMatching(/^sha256:/), removedInLaterLayer: false },
    ]);
  });

  it('never answers with the secret, neither in Image.secrets nor in the findings data', async () => {
    const answers = await Promise.all([
      graphql(platform.api.url, 'query($d: String!) { image(digest: $d) { secrets { edges { node { id ruleId title category path line match layer } } } } }', { d: digest }),
      graphql(platform.api.url, 'query($t: String!) { findings(first: 500, filter: { target: $t }) { edges { node { id ruleId title location data } } } }', { t: digest }),
    ]);
    for (const answer of answers) {
      const text = JSON.stringify(answer);
      expect(answer.errors).toBeUndefined();
      expect(text).toContain('*****');
      expect(text).not.toContain(aws);
      expect(text).not.toContain(aws.slice(4));
      expect(text).not.toContain(github.slice(4));
    }
  });

  it("is team-scoped, bounds the page and refuses a forged cursor", async () => {
    const other = (await platform.createToken('viewer', 'other')).secret;
    expect((await graphqlData<{ image: unknown }>(platform.api.url, 'query($d: String!) { image(digest: $d) { secrets { totalCount } } }', { d: digest }, { token: other })).image).toBeNull();
    const tooMany = await graphql(platform.api.url, 'query($d: String!) { image(digest: $d) { secrets(first: 501) { totalCount } } }', { d: digest });
    expect(tooMany.errors?.[0]?.message).toMatch(/first/);
    expect(tooMany.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const forged = await graphql(platform.api.url, 'query($d: String!) { image(digest: $d) { secrets(after: "bm90IGEgY3Vyc29y") { totalCount } } }', { d: digest });
    expect([forged.errors?.[0]?.extensions?.['code'], forged.errors?.[0]?.message]).toEqual(['BAD_USER_INPUT', expect.stringMatching(/cursor/)]);
    const page = await graphqlData<{ image: { secrets: { pageInfo: { hasNextPage: boolean; endCursor: string } } } }>(platform.api.url, 'query($d: String!) { image(digest: $d) { secrets(first: 1) { pageInfo { hasNextPage endCursor } } } }', { d: digest });
    expect(page.image.secrets.pageInfo.hasNextPage).toBe(true);
    const next = await graphqlData<{ image: { secrets: { edges: unknown[]; pageInfo: { hasNextPage: boolean } } } }>(
      platform.api.url,
      'query($d: String!, $a: String) { image(digest: $d) { secrets(first: 1, after: $a) { edges { cursor } pageInfo { hasNextPage } } } }',
      { d: digest, a: page.image.secrets.pageInfo.endCursor },
    );
    expect([next.image.secrets.edges.length, next.image.secrets.pageInfo.hasNextPage]).toEqual([1, false]);
  });
});
