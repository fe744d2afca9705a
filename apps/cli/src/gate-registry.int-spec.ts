import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeWithRegistry, sharedPath, validateReport } from '@bulkhead/testing';
import { runCli } from './main';

/*
 * The promotion gate's must-show against a real registry (start-registry.sh): an image with a
 * CRITICAL vulnerability fails the gate and is not signed (`bulkhead verify` finds nothing), a
 * clean one passes, is signed with --key, and the signature verifies with `bulkhead verify`.
 * requiredSigners is met only by a key that signed.
 */
jest.setTimeout(180_000);

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['node', 'bulkhead', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

const osv = sharedPath('vulndata', 'ghsa-npm', 'osv');

describeWithRegistry('bulkhead gate against a registry: sign only when the policy passes', (registry) => {
  let work: string;
  const saved = { cache: process.env['BULKHEAD_CACHE_DIR'], password: process.env['COSIGN_PASSWORD'] };
  const ref = (tag: string) => `${registry().host}/gate/app:${tag}`;
  const file = (name: string, text: string): string => {
    const at = path.join(work, name);
    writeFileSync(at, text);
    return at;
  };

  beforeAll(async () => {
    if (!osv) throw new Error('needs ../shared/vulndata (BULKHEAD_SHARED_DIR)');
    work = mkdtempSync(path.join(tmpdir(), 'bh-gate-reg-'));
    process.env['COSIGN_PASSWORD'] = 'gate test password';
    expect((await cli('db', 'import', osv, '--cache-dir', path.join(work, 'cache'))).code).toBe(0);
    process.env['BULKHEAD_CACHE_DIR'] = path.join(work, 'cache');
    const base = { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' };
    // A layer of a real image's size (a blob larger than one network read), like any pushed image.
    const payload = { name: 'usr/share/app/data.bin', content: randomBytes(256 * 1024) };
    const lodash = (version: string) => ({ name: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version }) });
    await (await import('@bulkhead/oci/testing')).testImageBuilder.writeOciLayout(path.join(work, 'vuln'), [{ ref: 'app', layers: [{ entries: [base, payload, lodash('4.17.11')] }] }]);
    await (await import('@bulkhead/oci/testing')).testImageBuilder.writeOciLayout(path.join(work, 'clean'), [{ ref: 'app', layers: [{ entries: [base, payload, lodash('4.17.21')] }] }]);
    for (const [layout, tag] of [['vuln', 'vuln'], ['clean', 'clean']] as const) {
      const pushed = await cli('push', `oci:${path.join(work, layout)}:app`, ref(tag));
      expect(pushed).toMatchObject({ code: 0 });
    }
    for (const prefix of ['cosign', 'other']) expect((await cli('keygen', '--output-key-prefix', path.join(work, prefix))).code).toBe(0);
  });

  afterAll(() => {
    for (const [name, value] of [['BULKHEAD_CACHE_DIR', saved.cache], ['COSIGN_PASSWORD', saved.password]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a CRITICAL finding fails the gate: exit 1, not signed, and no signature verifies', async () => {
    const gate = await cli('gate', ref('vuln'), '--policy', file('strict.yaml', 'maxSeverity: HIGH\n'), '--key', path.join(work, 'cosign.key'), '--format', 'json');
    expect(gate.code).toBe(1);
    const decision = JSON.parse(gate.out);
    expect(decision).toMatchObject({ decision: 'FAIL', signed: false, signatureId: null, notSignedReason: 'the policy failed' });
    expect(decision.reasons[0]).toMatchObject({ rule: 'maxSeverity', detail: expect.stringMatching(/^CRITICAL CVE-2019-10744 in lodash 4.17.11/) });
    const verify = await cli('verify', ref('vuln'), '--key', path.join(work, 'cosign.pub'));
    expect(verify.code).not.toBe(0);
  });

  it('a passing image is signed with --key and the signature verifies; requiredSigners is met only by a key that signed', async () => {
    const strict = file('strict2.yaml', 'maxSeverity: HIGH\n');
    // The decision to --output FILE (0600) under --quiet: nothing on stdout nor stderr.
    const report = path.join(work, 'decision.json');
    const gate = await cli('gate', ref('clean'), '--policy', strict, '--key', path.join(work, 'cosign.key'), '--format', 'json', '--output', report, '--quiet');
    expect(gate).toMatchObject({ code: 0, out: '', err: '' });
    expect(statSync(report).mode & 0o777).toBe(0o600);
    const decision = JSON.parse(readFileSync(report, 'utf8'));
    expect(validateReport('gate', decision)).toEqual({ valid: true, errors: null });
    expect(decision).toMatchObject({ decision: 'PASS', signed: true, signatureId: expect.stringMatching(/^sha256:/), notSignedReason: null });
    const verify = await cli('verify', ref('clean'), '--key', path.join(work, 'cosign.pub'));
    expect(verify.code).toBe(0);
    expect((await cli('verify', ref('clean'), '--key', path.join(work, 'other.pub'))).code).not.toBe(0);

    const signedBy = (key: string) => file(`signers-${key}.json`, JSON.stringify({ maxSeverity: 'HIGH', requiredSigners: [path.join(work, `${key}.pub`)] }));
    expect((await cli('gate', ref('clean'), '--policy', signedBy('cosign'), '--format', 'json')).code).toBe(0);
    const other = await cli('gate', ref('clean'), '--policy', signedBy('other'), '--format', 'json');
    expect(other.code).toBe(1);
    expect(JSON.parse(other.out).reasons).toEqual([{ rule: 'requiredSigners', detail: expect.stringContaining(`no valid signature by ${path.join(work, 'other.pub')}`) }]);
  });
});
