import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testImageBuilder } from '@bulkhead/oci/testing';
import { describeWithMinbase, testImages } from '@bulkhead/testing';
import { reportFinding, type SecretFindingData } from '../findings/finding-data';
import { builtinAnalyzers, parseSecretConfig, scanArtifact } from '../index';

// Fake secrets, assembled at run time so that no token-shaped literal sits in the repository.
const AWS_KEY = ['AKIA', 'Z7QK3MW5', 'RT2PX4NB'].join('');
const GITHUB_PAT = ['ghp', '_', 'Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8'].join('');
const KEY_BODY = ['MIIEowIBAAKCAQEAu', 'Nua0y08gkbnBfKd6VDHia8Na0ATgMQqZ4YEbi73g84IEPQPkLbPF3XDe'].join('/');
const PRIVATE_KEY = [`-----BEGIN RSA ${'PRIVATE'} KEY-----`, KEY_BODY, 'JA1QzqTZbbePLsW44DbbgMX5jj+Sh2SvGe5IXNeNwyyMox+DKQccJUPxbCxnhF', `-----END RSA ${'PRIVATE'} KEY-----`, ''].join('\n');
const RAW_SECRETS = [AWS_KEY, GITHUB_PAT, KEY_BODY, 'JA1QzqTZbbePLsW44DbbgMX5jj'];

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'bh-secrets-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const layers: testImageBuilder.LayerSpec[] = [
  {
    entries: [
      { name: 'app/.env', content: `AWS_ACCESS_KEY_ID=${AWS_KEY}\nGITHUB_TOKEN=${GITHUB_PAT}\n` },
      { name: 'root/.ssh/id_rsa', content: PRIVATE_KEY, mode: 0o600 },
      // Not reported, as with Trivy: system docs, test trees, binaries, lock files.
      { name: 'usr/share/doc/app/README', content: `token ${GITHUB_PAT}\n` },
      { name: 'app/test/fixture.txt', content: `token ${GITHUB_PAT}\n` },
      { name: 'opt/tool', content: Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00]), Buffer.from(` ${GITHUB_PAT} `)]) },
      { name: 'app/node_modules/x/index.js', content: `const t = "${GITHUB_PAT}";\n` },
    ],
  },
  // The next layer deletes the .env and writes the key again: both older copies stay in the image.
  { entries: [{ name: 'app/.wh..env' }, { name: 'root/.ssh/id_rsa', content: PRIVATE_KEY, mode: 0o600 }] },
];

function secretData(finding: { data?: Record<string, unknown> }): SecretFindingData {
  return finding.data as unknown as SecretFindingData;
}

describe('secrets in every layer of an image', () => {
  let archive: string;
  beforeAll(async () => {
    archive = path.join(work, 'image.tar');
    await testImageBuilder.writeDockerArchive(archive, layers);
  });

  it('reports each secret with its layer, path and line, and marks those a later layer removed', async () => {
    const result = await scanArtifact(`docker-archive:${archive}`, { analyzers: builtinAnalyzers, secrets: true });
    const [bottom, top] = result.artifact.layers.map((l) => l.diffId);
    const summary = result.findings
      .map((f) => {
        const data = secretData(f);
        return [f.ruleId, f.severity, f.location, data.layer, data.removedInLaterLayer ?? false, data.match];
      })
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    expect(summary).toEqual(
      [
        ['aws-access-key-id', 'CRITICAL', 'app/.env:1', bottom, true, 'AWS_ACCESS_KEY_ID=********************'],
        ['github-pat', 'CRITICAL', 'app/.env:2', bottom, true, 'GITHUB_TOKEN=****************************************'],
        ['private-key', 'HIGH', 'root/.ssh/id_rsa:2', bottom, true, '*'.repeat(KEY_BODY.length)],
        ['private-key', 'HIGH', 'root/.ssh/id_rsa:2', top, false, '*'.repeat(KEY_BODY.length)],
      ].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)),
    );
    // A file in two layers is two findings.
    expect(new Set(result.findings.map((f) => f.fingerprint)).size).toBe(4);
    expect(result.findings.every((f) => f.kind === 'scanner' && f.target === result.artifact.digest)).toBe(true);
  });

  it('never lets a raw secret into the results or the report', async () => {
    const result = await scanArtifact(`docker-archive:${archive}`, { analyzers: builtinAnalyzers, secrets: true });
    const report = result.findings.map((f) => reportFinding(f));
    const json = JSON.stringify({ result, report });
    expect(result.findings.length).toBeGreaterThan(0);
    for (const raw of RAW_SECRETS) expect(json).not.toContain(raw);
    expect(report[0]).toMatchObject({ kind: 'secret', location: { path: expect.any(String), line: expect.any(Number) } });
  });

  it('scans nothing for secrets unless asked', async () => {
    const result = await scanArtifact(`docker-archive:${archive}`, { analyzers: builtinAnalyzers });
    expect(result.findings).toEqual([]);
  });

  it('takes a Trivy secret config: rules switched off, custom rules, allow rules', async () => {
    const config = parseSecretConfig(
      ['disable-rules: [private-key]', 'rules:', '  - id: env-token', '    category: Custom', '    title: Token in env file', '    severity: medium', '    regex: GITHUB_TOKEN=(?P<secret>\\S+)', '    secret-group-name: secret', 'allow-rules:', '  - id: no-aws', '    regex: AKIA'].join('\n'),
      'inline',
    );
    const result = await scanArtifact(`docker-archive:${archive}`, { analyzers: builtinAnalyzers, secrets: { config } });
    expect(result.findings.map((f) => [f.ruleId, f.severity, f.location]).sort()).toEqual([
      ['env-token', 'MEDIUM', 'app/.env:2'],
      ['github-pat', 'CRITICAL', 'app/.env:2'],
    ]);
  });

  it('skips files over the size limit with one warning', async () => {
    const result = await scanArtifact(`docker-archive:${archive}`, { analyzers: builtinAnalyzers, secrets: { maxFileBytes: 100 } });
    expect(result.findings.map((f) => f.ruleId).sort()).toEqual(['aws-access-key-id', 'github-pat']);
    expect(result.warnings.find((w) => w.startsWith('secret scan:'))).toMatch(/file\(s\) over the 100-byte limit were not read \(largest: /);
  });
});

describe('secrets in a root file system', () => {
  it('reports files as they are, without layers', async () => {
    const root = path.join(work, 'rootfs');
    mkdirSync(path.join(root, 'etc/app'), { recursive: true });
    writeFileSync(path.join(root, 'etc/app/creds'), `# deploy\r\nexport GITHUB_TOKEN=${GITHUB_PAT}\r\n`);
    const result = await scanArtifact(`rootfs:${root}`, { analyzers: builtinAnalyzers, secrets: true });
    expect(result.findings.map((f) => [f.ruleId, f.location, secretData(f).layer, secretData(f).removedInLaterLayer])).toEqual([['github-pat', 'etc/app/creds:2', undefined, undefined]]);
    // CRLF: carriage returns do not end up in the match (Trivy drops them before scanning).
    expect(secretData(result.findings[0] ?? {}).match).toBe('export GITHUB_TOKEN=****************************************');
  });
});

describeWithMinbase('secrets in the minbase image', () => {
  it('finds none (as Trivy finds none there) and leaves the inventory as it is without the secret scan', async () => {
    const reference = `docker-archive:${testImages().minbaseDockerArchive}`;
    const [plain, withSecrets] = [await scanArtifact(reference, { analyzers: builtinAnalyzers }), await scanArtifact(reference, { analyzers: builtinAnalyzers, secrets: true })];
    expect(withSecrets.findings).toEqual([]);
    expect(withSecrets.packages).toEqual(plain.packages);
    expect(withSecrets.artifact).toEqual(plain.artifact);
  }, 120_000);
});
