import { readFile } from 'node:fs/promises';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeWithRegistry, testImages, validateReport } from '@bulkhead/testing';
import { runCli } from './main';

/*
 * The signer's commands through the real `bulkhead` command line (in process, as the exit-code
 * table test runs it) against a real registry: keygen → sign → verify exits 0; a wrong key, a
 * wrong COSIGN_PASSWORD and an unsigned image exit 1 with the reason; a usage error exits 2.
 * `verify` and `verify-attestation --format json` validate against docs/schemas (named in
 * json-schemas.spec.ts's validatedElsewhere), and each command's report goes to --output FILE
 * (0600, nothing on stdout) under --quiet.
 */
describeWithRegistry('bulkhead keygen / sign / verify on the command line', (registry) => {
  let dir: string;
  let image: string;
  const saved = process.env['COSIGN_PASSWORD'];

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runCli(['node', 'bulkhead', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
    return { code, out, err };
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'bh-signer-cmd-'));
    process.env['COSIGN_PASSWORD'] = 'pw';
    // The tiny test image, pushed with the registry client (loaded lazily, as the CLI loads it).
    const { RegistryClient, parseRegistryReference } = await import('@bulkhead/oci');
    const client = new RegistryClient();
    try {
      const layout = testImages().tinyOciLayout;
      const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; mediaType: string }[] };
      const blob = (digest: string) => readFile(path.join(layout, 'blobs', ...digest.split(':')));
      const [entry] = index.manifests;
      if (!entry) throw new Error(`${layout}: empty index`);
      const manifestBytes = await blob(entry.digest);
      const manifest = JSON.parse(manifestBytes.toString('utf8')) as { config: { digest: string; size: number }; layers: { digest: string; size: number }[] };
      const repo = parseRegistryReference(`${registry().host}/cli`);
      for (const d of [manifest.config, ...manifest.layers]) await client.pushBlob(repo, await blob(d.digest), d.digest, d.size);
      await client.putManifest(repo, 'signed', manifestBytes, entry.mediaType);
      await client.putManifest(repo, 'other', Buffer.from(JSON.stringify({ ...manifest, annotations: { unsigned: 'yes' } })), entry.mediaType);
    } finally {
      client.close();
    }
    image = `${registry().host}/cli:signed`;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env['COSIGN_PASSWORD'];
    else process.env['COSIGN_PASSWORD'] = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  /** `args` with --output FILE --quiet: the report is in FILE (mode 0600), nothing on stdout. */
  async function quietly(name: string, ...args: string[]): Promise<{ code: number; report: string; err: string }> {
    const file = path.join(dir, `${name}.report`);
    const result = await cli(...args, '--output', file, '--quiet');
    expect(result.out).toBe('');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    return { code: result.code, report: readFileSync(file, 'utf8'), err: result.err };
  }

  it('keygen, sign and verify exit 0; verify --format json lists both forms', async () => {
    expect((await cli('keygen', '--output-key-prefix', path.join(dir, 'cosign'))).code).toBe(0);
    expect((await cli('keygen', '--output-key-prefix', path.join(dir, 'other'))).code).toBe(0);
    const signed = await cli('sign', image, '--key', path.join(dir, 'cosign.key'), '-a', 'pipeline=nightly');
    expect(signed).toMatchObject({ code: 0, err: '' });
    expect(signed.out).toMatch(/signed 127\.0\.0\.1:\d+\/cli@sha256:[0-9a-f]{64}/);
    const verified = await cli('verify', image, '--key', path.join(dir, 'cosign.pub'), '--format', 'json');
    expect(verified.code).toBe(0);
    const result = JSON.parse(verified.out) as { verified: boolean; checks: { format: string; valid: boolean }[] };
    expect(validateReport('verify', result)).toEqual({ valid: true, errors: null });
    expect(result.verified).toBe(true);
    expect(result.checks.map((c) => c.format).sort()).toEqual(['cosign-bundle', 'cosign-legacy']);
    // A failed verification has the same shape (its reason, and each check's).
    const failed = await cli('verify', image, '--key', path.join(dir, 'other.pub'), '--format', 'json');
    expect(failed.code).toBe(1);
    const failedReport = JSON.parse(failed.out) as { verified: boolean; reason: string };
    expect(validateReport('verify', failedReport)).toEqual({ valid: true, errors: null });
    expect(failedReport).toMatchObject({ verified: false, reason: 'no signature verifies over this digest' });
  });

  it('attest and verify-attestation: --format json validates against its schema, pass and fail', async () => {
    const predicate = path.join(dir, 'sbom.json');
    writeFileSync(predicate, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', components: [] }));
    const attested = await cli('attest', image, '--predicate', predicate, '--type', 'cyclonedx', '--key', path.join(dir, 'cosign.key'));
    expect(attested).toMatchObject({ code: 0, err: '' });
    expect(attested.out).toMatch(/attested 127\.0\.0\.1:\d+\/cli@sha256:/);
    const verified = await cli('verify-attestation', image, '--key', path.join(dir, 'cosign.pub'), '--type', 'cyclonedx', '--format', 'json');
    expect(verified.code).toBe(0);
    const report = JSON.parse(verified.out) as { verified: boolean; predicateType: string };
    expect(validateReport('verify-attestation', report)).toEqual({ valid: true, errors: null });
    expect(report).toMatchObject({ verified: true, predicateType: 'https://cyclonedx.org/bom' });
    const wrong = await cli('verify-attestation', image, '--key', path.join(dir, 'other.pub'), '--format', 'json');
    expect(wrong.code).toBe(1);
    const wrongReport = JSON.parse(wrong.out) as { verified: boolean; predicateType: null };
    expect(validateReport('verify-attestation', wrongReport)).toEqual({ valid: true, errors: null });
    expect(wrongReport).toMatchObject({ verified: false, predicateType: null });
  });

  it('sign, verify, attest and verify-attestation write their report to --output FILE under --quiet', async () => {
    const predicate = path.join(dir, 'vuln.json');
    writeFileSync(predicate, JSON.stringify({ scanner: { uri: 'bulkhead' }, result: [] }));
    const signed = await quietly('sign', 'sign', image, '--key', path.join(dir, 'cosign.key'), '--signature-format', 'legacy');
    expect(signed).toMatchObject({ code: 0, err: '', report: expect.stringMatching(/^legacy signature at tag .*\nsigned 127\.0\.0\.1:/) });
    const verified = await quietly('verify', 'verify', image, '--key', path.join(dir, 'cosign.pub'), '--format', 'json');
    expect(verified).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(verified.report)).toMatchObject({ verified: true });
    const verifiedText = await quietly('verify-text', 'verify', image, '--key', path.join(dir, 'cosign.pub'));
    expect(verifiedText).toMatchObject({ code: 0, err: '', report: expect.stringMatching(/^verified 127\.0\.0\.1:/m) });
    const attested = await quietly('attest', 'attest', image, '--predicate', predicate, '--type', 'vuln', '--key', path.join(dir, 'cosign.key'));
    expect(attested).toMatchObject({ code: 0, err: '', report: expect.stringMatching(/attested 127\.0\.0\.1:/) });
    const checked = await quietly('verify-attestation', 'verify-attestation', image, '--key', path.join(dir, 'cosign.pub'), '--type', 'vuln');
    expect(checked).toMatchObject({ code: 0, err: '', report: expect.stringMatching(/^verified attestation of 127\.0\.0\.1:/m) });
  });

  it('a wrong key, an unsigned image and a wrong COSIGN_PASSWORD exit 1 with the reason', async () => {
    const wrong = await cli('verify', image, '--key', path.join(dir, 'other.pub'));
    expect(wrong.code).toBe(1);
    expect(wrong.out).toMatch(/INVALID cosign-legacy .*: wrong-key: /);
    expect(wrong.err).toMatch(/verification failed for .*: no signature verifies over this digest/);
    const unsigned = await cli('verify', `${registry().host}/cli:other`, '--key', path.join(dir, 'cosign.pub'));
    expect(unsigned.code).toBe(1);
    expect(unsigned.err).toMatch(/no cosign signatures found for sha256:/);
    process.env['COSIGN_PASSWORD'] = 'not-it';
    try {
      const badPassword = await cli('sign', image, '--key', path.join(dir, 'cosign.key'));
      expect(badPassword.code).toBe(1);
      expect(badPassword.err).toMatch(/wrong password or corrupted key/);
    } finally {
      process.env['COSIGN_PASSWORD'] = 'pw';
    }
  });

  it('a usage error exits 2', async () => {
    const usage = await cli('verify', image);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/give one of --key FILE or --cert FILE/);
  });
});
