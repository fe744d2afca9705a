import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RegistryClient, parseRegistryReference } from '@bulkhead/oci';
import { describeWithRegistry, testImages } from '@bulkhead/testing';
import { testCliHost } from '../testing/cli-host';
import { pushLayoutImage } from '../testing/registry-image';
import { attest, verifyAttestation } from './attest';
import { keygen } from './keygen';
import type { PasswordSource } from './password';

/*
 * bulkhead attest / verify-attestation against a real registry: in-toto statements (CycloneDX
 * SBOM, cosign vulnerability report, SLSA provenance) in DSSE envelopes, in cosign's legacy
 * `.att` form and as bundle referrers; each verifies with the key over the digest, and fails
 * for another key, another predicate type, or a statement copied to another image.
 */

const passwords: PasswordSource = { env: { COSIGN_PASSWORD: 'pw' }, promptTo: () => undefined };

interface Verdict {
  verified: boolean;
  reason: string | null;
  checks: { format: string; valid: boolean; predicateType: string | null; reason: string | null }[];
}

describeWithRegistry('bulkhead attest / verify-attestation against a registry', (registry) => {
  let dir: string;
  let client: RegistryClient;
  const repo = () => parseRegistryReference(`${registry().host}/attested`);
  const ref = (tag: string) => `${registry().host}/attested:${tag}`;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bh-attest-cli-'));
    client = new RegistryClient();
    await keygen(path.join(dir, 'cosign'), testCliHost(), passwords);
    await keygen(path.join(dir, 'other'), testCliHost(), passwords);
    await writeFile(path.join(dir, 'bom.json'), JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components: [{ type: 'library', name: 'bash', version: '5.2.15' }] }));
    await writeFile(path.join(dir, 'vuln.json'), JSON.stringify({ scanner: { uri: 'pkg:npm/bulkhead', version: '0.2.0', result: { vulnerabilities: [] } }, metadata: { scanStartedOn: '2026-01-01T00:00:00Z', scanFinishedOn: '2026-01-01T00:00:01Z' } }));
    await writeFile(path.join(dir, 'provenance.json'), JSON.stringify({ buildDefinition: { buildType: 'https://example.test/build/v1', externalParameters: {} }, runDetails: { builder: { id: 'https://example.test/builder' } } }));
    await writeFile(path.join(dir, 'not-a-bom.json'), JSON.stringify({ hello: 'world' }));
  });
  afterAll(async () => {
    client?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function verify(tag: string, options: { key?: string; type?: string } = {}): Promise<{ code: number; result: Verdict }> {
    const host = testCliHost();
    const code = await verifyAttestation(ref(tag), { key: options.key ?? path.join(dir, 'cosign.pub'), ...(options.type ? { type: options.type } : {}), format: 'json' }, host);
    return { code, result: JSON.parse(host.stdout()) as Verdict };
  }

  it('attests a CycloneDX SBOM, a vulnerability report and SLSA provenance; each verifies by type in both forms', async () => {
    await pushLayoutImage(client, testImages().tinyOciLayout, repo(), 'a1');
    for (const [file, type] of [['bom.json', 'cyclonedx'], ['vuln.json', 'vuln'], ['provenance.json', 'slsaprovenance1']] as const) {
      const host = testCliHost();
      expect(await attest(ref('a1'), { predicate: path.join(dir, file), type, key: path.join(dir, 'cosign.key') }, host, passwords)).toBe(0);
      expect(host.stdout()).toMatch(/attestation at tag sha256-[0-9a-f]{64}\.att/);
    }
    const cyclonedx = await verify('a1', { type: 'cyclonedx' });
    expect(cyclonedx.code).toBe(0);
    const valid = cyclonedx.result.checks.filter((c) => c.valid);
    expect(valid.map((c) => [c.format, c.predicateType]).sort()).toEqual([
      ['cosign-bundle', 'https://cyclonedx.org/bom'],
      ['cosign-legacy', 'https://cyclonedx.org/bom'],
    ]);
    // The other attestations are listed with the reason they do not count for --type cyclonedx.
    expect(cyclonedx.result.checks.filter((c) => !c.valid).every((c) => /predicate-type-mismatch/.test(c.reason ?? ''))).toBe(true);
    expect((await verify('a1', { type: 'vuln' })).code).toBe(0);
    expect((await verify('a1', { type: 'https://slsa.dev/provenance/v1' })).code).toBe(0);
    expect((await verify('a1')).result.checks.filter((c) => c.valid)).toHaveLength(6);
  });

  it('fails for another key, a type that was not attested, and an image without attestations', async () => {
    await pushLayoutImage(client, testImages().tinyOciLayout, repo(), 'a2');
    await attest(ref('a2'), { predicate: path.join(dir, 'bom.json'), type: 'cyclonedx', key: path.join(dir, 'cosign.key'), signatureFormat: 'legacy' }, testCliHost(), passwords);
    const wrongKey = await verify('a2', { key: path.join(dir, 'other.pub') });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.result.checks[0]?.reason).toMatch(/^wrong-key: /);
    const wrongType = await verify('a2', { type: 'slsaprovenance' });
    expect(wrongType.code).toBe(1);
    expect(wrongType.result.checks[0]?.reason).toMatch(/^predicate-type-mismatch: /);
    await pushLayoutImage(client, testImages().tinyOciLayout, repo(), 'a3');
    const none = await verify('a3');
    expect(none.code).toBe(1);
    expect(none.result.reason).toMatch(/no attestations found/);
  });

  it('an attestation copied to another image fails: its subject is the other digest', async () => {
    const source = await pushLayoutImage(client, testImages().tinyOciLayout, repo(), 'a4');
    const target = await pushLayoutImage(client, testImages().tinyOciLayout, repo(), 'a5');
    await attest(ref('a4'), { predicate: path.join(dir, 'bom.json'), type: 'cyclonedx', key: path.join(dir, 'cosign.key'), signatureFormat: 'legacy' }, testCliHost(), passwords);
    const att = await client.getManifest(repo(), `sha256-${source.slice(7)}.att`);
    await client.putManifest(repo(), `sha256-${target.slice(7)}.att`, att.bytes, att.mediaType);
    const copied = await verify('a5');
    expect(copied.code).toBe(1);
    expect(copied.result.checks[0]?.reason).toMatch(/^subject-mismatch: /);
  });

  it('a predicate that is not what --type says, or an unknown --type, is a clear error', async () => {
    await pushLayoutImage(client, testImages().tinyOciLayout, repo(), 'a6');
    await expect(attest(ref('a6'), { predicate: path.join(dir, 'not-a-bom.json'), type: 'cyclonedx', key: path.join(dir, 'cosign.key') }, testCliHost(), passwords)).rejects.toThrow(/CycloneDX predicate: expected a CycloneDX JSON document/);
    await expect(attest(ref('a6'), { predicate: path.join(dir, 'bom.json'), type: 'sbom-ish', key: path.join(dir, 'cosign.key') }, testCliHost(), passwords)).rejects.toThrow(/--type "sbom-ish": expected one of cyclonedx/);
  });
});
