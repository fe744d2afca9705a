import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { runCli } from './main';

/*
 * `bulkhead gate` as a CI pipeline runs it, in process: an image built here with lodash 4.17.11
 * (GHSA-jf85-cpcp-j695 = CVE-2019-10744, CRITICAL, from ../shared/vulndata imported with `bulkhead db import`) and
 * an AWS key in a layer. The gate runs the scan and the image benchmark as a flow and decides.
 */
jest.setTimeout(120_000);

const AWS_KEY = ['AKIA', 'Z7QK3MW5', 'RT2PX4NB'].join('');

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['node', 'bulkhead', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describeWithShared('bulkhead gate (inline)', (shared) => {
  let work: string;
  let layout: string;
  let cleanLayout: string;
  const previousCache = process.env['BULKHEAD_CACHE_DIR'];
  const policy = (name: string, text: string): string => {
    const file = path.join(work, name);
    writeFileSync(file, text);
    return file;
  };

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'bh-gate-'));
    const cacheDir = path.join(work, 'cache');
    const imported = await cli('db', 'import', path.join(shared, 'vulndata', 'ghsa-npm', 'osv'), '--cache-dir', cacheDir);
    expect(imported).toMatchObject({ code: 0 });
    process.env['BULKHEAD_CACHE_DIR'] = cacheDir;
    const base = { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' };
    const lodash = { name: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.11', license: 'MIT' }) };
    layout = path.join(work, 'vulnerable');
    await (await import('@bulkhead/oci/testing')).testImageBuilder.writeOciLayout(layout, [{ ref: 'app', layers: [{ entries: [base, lodash] }, { entries: [{ name: 'app/.env', content: `AWS_ACCESS_KEY_ID=${AWS_KEY}\n` }] }] }]);
    cleanLayout = path.join(work, 'clean');
    const fixed = { ...lodash, content: JSON.stringify({ name: 'lodash', version: '4.17.21', license: 'MIT' }) };
    await (await import('@bulkhead/oci/testing')).testImageBuilder.writeOciLayout(cleanLayout, [{ ref: 'app', layers: [{ entries: [base, fixed] }] }]);
  });

  afterAll(() => {
    if (previousCache === undefined) delete process.env['BULKHEAD_CACHE_DIR'];
    else process.env['BULKHEAD_CACHE_DIR'] = previousCache;
    rmSync(work, { recursive: true, force: true });
  });

  it('fails an image with a CRITICAL finding under maxSeverity: HIGH (exit 1), naming rule and finding, and does not sign it', async () => {
    const file = policy('strict.yaml', 'maxSeverity: HIGH\nallowSecrets: false\n');
    const json = await cli('gate', `oci:${layout}:app`, '--policy', file, '--format', 'json');
    expect(json.code).toBe(1);
    const decision = JSON.parse(json.out) as { decision: string; reasons: { rule: string; detail: string; findingId?: string }[]; signed: boolean; notSignedReason: string; digest: string; children: { type: string; status: string }[] };
    expect(decision).toMatchObject({ decision: 'FAIL', signed: false, notSignedReason: 'the policy failed', digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(decision.children.map((c) => [c.type, c.status])).toEqual([
      ['scan-image', 'SUCCEEDED'],
      ['image-config', 'SUCCEEDED'],
    ]);
    expect(decision.reasons).toContainEqual({ rule: 'maxSeverity', detail: 'CRITICAL CVE-2019-10744 in lodash 4.17.11 is above HIGH (fixed in 4.17.12)', findingId: expect.any(String) });
    expect(decision.reasons).toContainEqual({ rule: 'allowSecrets', detail: expect.stringMatching(/AWS.* in app\/\.env/), findingId: expect.any(String) });
    const table = await cli('gate', `oci:${layout}:app`, '--policy', file);
    expect(table.code).toBe(1);
    expect(table.out).toMatch(/^Gate FAIL: oci:/);
    expect(table.out).toContain('[maxSeverity] CRITICAL CVE-2019-10744 in lodash 4.17.11 is above HIGH');
    expect(table.out).toContain('Not signed: the policy failed');
  });

  it('passes the same image under a policy that allows what it has (exit 0)', async () => {
    const file = policy('lenient.json', JSON.stringify({ maxSeverity: 'CRITICAL', allowSecrets: true, benchmark: { maxFailures: 100 } }));
    const result = await cli('gate', `oci:${layout}:app`, '--policy', file, '--format', 'json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ decision: 'PASS', reasons: [], summary: { vulnerabilities: 4, vulnerabilitiesOverLimit: 0, secrets: 1 } });
  });

  it('passes a fixed image under the strict policy', async () => {
    const result = await cli('gate', `oci:${cleanLayout}:app`, '--policy', policy('strict2.yaml', 'maxSeverity: HIGH\n'), '--format', 'json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ decision: 'PASS', summary: { vulnerabilities: 0, secrets: 0 } });
  });

  it('fails closed when vulnerabilities cannot be checked (no advisory database)', async () => {
    process.env['BULKHEAD_CACHE_DIR'] = path.join(work, 'empty-cache');
    try {
      const result = await cli('gate', `oci:${cleanLayout}:app`, '--policy', policy('strict3.yaml', 'maxSeverity: CRITICAL\n'), '--format', 'json');
      expect(result.code).toBe(1);
      expect(JSON.parse(result.out).reasons).toEqual([{ rule: 'maxSeverity', detail: expect.stringMatching(/^vulnerabilities were not checked/) }]);
    } finally {
      process.env['BULKHEAD_CACHE_DIR'] = path.join(work, 'cache');
    }
  });

  it('writes its decision to --output FILE (0600) under --quiet, and nothing to stdout', async () => {
    const file = path.join(work, 'decision.json');
    const plain = await cli('gate', `oci:${cleanLayout}:app`, '--policy', policy('strict4.yaml', 'maxSeverity: HIGH\n'), '--format', 'json');
    const written = await cli('gate', `oci:${cleanLayout}:app`, '--policy', path.join(work, 'strict4.yaml'), '--format', 'json', '--output', file, '--quiet');
    expect({ code: written.code, out: written.out, err: written.err }).toEqual({ code: plain.code, out: '', err: '' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const decision = JSON.parse(readFileSync(file, 'utf8')) as { decision: string; id: string };
    expect(decision).toMatchObject({ decision: 'PASS' });
    expect({ ...decision, id: '', children: [] }).toEqual({ ...JSON.parse(plain.out), id: '', children: [] });
  });

  it('refuses a bad policy file with a message naming the file and the field', async () => {
    const bad = await cli('gate', `oci:${cleanLayout}:app`, '--policy', policy('bad.yaml', 'maxSeverty: HIGH\n'));
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/bad\.yaml: \(top level\): unknown key\(s\) maxSeverty/);
    const missing = await cli('gate', `oci:${cleanLayout}:app`, '--policy', path.join(work, 'nope.yaml'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/cannot read --policy file .*nope\.yaml: no such file or directory/);
    const format = await cli('gate', `oci:${cleanLayout}:app`, '--policy', path.join(work, 'strict.yaml'), '--format', 'xml');
    expect(format).toMatchObject({ code: 2, err: expect.stringMatching(/--format "xml": expected text or json/) });
  });
});
