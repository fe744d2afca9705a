import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RegistryClient, parseRegistryReference } from '@bulkhead/oci';
import { describeWithRegistry, testImages } from '@bulkhead/testing';
import { testCliHost } from '../testing/cli-host';
import { pushLayoutImage } from '../testing/registry-image';
import { signWithNotation, verifyWithNotation } from './notation';

/*
 * bulkhead sign --notation / verify --notation against a real registry: a test CA and a
 * code-signing leaf made with openssl here, notation's trust store layout and trustpolicy.json.
 * A signature verifies under a policy trusting the CA and fails under one that trusts another.
 */

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

async function makeCa(dir: string, name: string): Promise<void> {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '30', '-subj', `/C=US/ST=WA/L=Seattle/O=Bulkhead Test/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
}

interface Verdict {
  verified: boolean;
  reason: string | null;
  checks: { format: string; valid: boolean; reason: string | null; identity: string | null; verifier: string }[];
}

describeWithRegistry('bulkhead sign / verify --notation (Notary Project) against a registry', (registry) => {
  let dir: string;
  let client: RegistryClient;
  const repo = () => parseRegistryReference(`${registry().host}/notary`);
  const ref = (tag: string) => `${registry().host}/notary:${tag}`;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bh-notation-cli-'));
    client = new RegistryClient();
    await makeCa(dir, 'ca');
    await makeCa(dir, 'other-ca');
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/C=US/ST=WA/L=Seattle/O=Bulkhead Test/CN=release-signer'], dir);
    await writeFile(path.join(dir, 'leaf.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n');
    openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.crt', '-days', '7', '-extfile', 'leaf.ext'], dir);
    await writeFile(path.join(dir, 'chain.pem'), (await readFile(path.join(dir, 'leaf.crt'), 'utf8')) + (await readFile(path.join(dir, 'ca.crt'), 'utf8')));
    for (const [store, cert] of [['ours', 'ca.crt'], ['theirs', 'other-ca.crt']] as const) {
      await mkdir(path.join(dir, 'truststore', 'x509', 'ca', store), { recursive: true });
      await copyFile(path.join(dir, cert), path.join(dir, 'truststore', 'x509', 'ca', store, cert));
    }
    for (const [file, store, identity] of [
      ['trusted.json', 'ours', '*'],
      ['untrusted.json', 'theirs', '*'],
      ['wrong-identity.json', 'ours', 'x509.subject: C=US, ST=WA, L=Seattle, O=Bulkhead Test, CN=someone-else'],
    ] as const) {
      const policy = { version: '1.0', trustPolicies: [{ name: `p-${store}`, registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: [`ca:${store}`], trustedIdentities: [identity] }] };
      await writeFile(path.join(dir, file), JSON.stringify(policy));
    }
  });
  afterAll(async () => {
    client?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function verify(tag: string, policy: string): Promise<{ code: number; result: Verdict }> {
    const host = testCliHost();
    const code = await verifyWithNotation(ref(tag), { trustPolicy: path.join(dir, policy), trustStore: path.join(dir, 'truststore'), format: 'json' }, host);
    return { code, result: JSON.parse(host.stdout()) as Verdict };
  }

  it.each(['jws', 'cose'] as const)('a %s signature verifies under a policy trusting the CA, and fails under one that does not', async (envelopeType) => {
    const digest = await pushLayoutImage(client, testImages().tinyOciLayout, repo(), envelopeType);
    const host = testCliHost();
    expect(await signWithNotation(ref(envelopeType), { key: path.join(dir, 'leaf.key'), cert: path.join(dir, 'chain.pem'), envelopeType }, host)).toBe(0);
    expect(host.stdout()).toContain(`notation-${envelopeType} signature manifest sha256:`);
    // The signature is a referrer of the image with notation's artifact type.
    const referrers = await client.referrers(repo(), digest, 'application/vnd.cncf.notary.signature');
    expect(referrers).toHaveLength(1);

    const trusted = await verify(envelopeType, 'trusted.json');
    expect(trusted.result.checks).toEqual([expect.objectContaining({ format: `notation-${envelopeType}`, valid: true, verifier: 'trust-policy:p-ours', identity: expect.stringContaining('CN=release-signer') })]);
    expect(trusted.code).toBe(0);

    const untrusted = await verify(envelopeType, 'untrusted.json');
    expect(untrusted.code).toBe(1);
    expect(untrusted.result.checks[0]?.reason).toMatch(/^authenticity: /);

    const wrongIdentity = await verify(envelopeType, 'wrong-identity.json');
    expect(wrongIdentity.code).toBe(1);
    expect(wrongIdentity.result.checks[0]?.reason).toMatch(/^authenticity: .*identit/i);
  });

  it('an image without Notary signatures fails verification saying none was found', async () => {
    await pushLayoutImage(client, testImages().tinyOciLayout, repo(), 'unsigned');
    const { code, result } = await verify('unsigned', 'trusted.json');
    expect(code).toBe(1);
    expect(result.reason).toMatch(/no Notary Project signatures found/);
  });

  it('a key that does not belong to the certificate is refused before anything is pushed', async () => {
    await pushLayoutImage(client, testImages().tinyOciLayout, repo(), 'mismatch');
    await expect(signWithNotation(ref('mismatch'), { key: path.join(dir, 'ca.key'), cert: path.join(dir, 'chain.pem'), envelopeType: 'jws' }, testCliHost())).rejects.toThrow(/does not belong to the signing certificate/);
  });
});
