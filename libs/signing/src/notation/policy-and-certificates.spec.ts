import { createHash } from 'node:crypto';
import { JWS_MEDIA_TYPE } from './envelope-model';
import { signNotation } from './sign';
import { MemoryTrustStore } from './trust-store';
import { identityMatches, parseDistinguishedName, parseTrustPolicy, repositoryOf, selectTrustPolicy } from './trust-policy';
import { verifyNotationSignature } from './verify';
import { validateCertificateChain } from './x509';
import { generateTestKey, issueTestCertificate, makeTestPki, TEST_LEAF_SUBJECT, type TestPki } from './testing/test-pki';

const doc = (policies: unknown[]) => JSON.stringify({ version: '1.0', trustPolicies: policies });
const strict = (name: string, scopes: string[], extra: Record<string, unknown> = {}) => ({
  name,
  registryScopes: scopes,
  signatureVerification: { level: 'strict' },
  trustStores: ['ca:acme'],
  trustedIdentities: ['*'],
  ...extra,
});

describe('trustpolicy.json', () => {
  it('selects the exact repository scope before the global one', () => {
    const policy = parseTrustPolicy(doc([strict('global', ['*']), strict('net-monitor', ['registry.acme-rockets.io/software/net-monitor', 'localhost:5106/software/net-monitor'])]));
    expect(selectTrustPolicy(policy, 'registry.acme-rockets.io/software/net-monitor:v1').name).toBe('net-monitor');
    expect(selectTrustPolicy(policy, `localhost:5106/software/net-monitor@sha256:${'a'.repeat(64)}`).name).toBe('net-monitor');
    expect(selectTrustPolicy(policy, 'registry.acme-rockets.io/software/other:v1').name).toBe('global');
    expect(repositoryOf('localhost:5106/a/b:tag')).toBe('localhost:5106/a/b');
  });

  it('fails when no policy applies', () => {
    const policy = parseTrustPolicy(doc([strict('one', ['registry.test/a/b'])]));
    expect(() => selectTrustPolicy(policy, 'registry.test/a/c:1')).toThrow(/no trust policy applies to registry.test\/a\/c/);
    expect(() => selectTrustPolicy(policy, 'alpine:3')).toThrow(/not fully qualified/);
  });

  it('applies levels and overrides as the spec table says', () => {
    const policy = parseTrustPolicy(
      doc([
        strict('p', ['registry.test/a/p'], { signatureVerification: { level: 'permissive' } }),
        strict('a', ['registry.test/a/a'], { signatureVerification: { level: 'audit', override: { authenticity: 'enforce' } } }),
        strict('s', ['registry.test/a/s'], { signatureVerification: { level: 'strict', override: { expiry: 'log', revocation: 'skip' } } }),
        { name: 'skip', registryScopes: ['registry.test/a/unsigned'], signatureVerification: { level: 'skip' } },
      ]),
    );
    const actions = (n: string) => policy.trustPolicies.find((p) => p.name === n)?.actions;
    expect(actions('p')).toEqual({ integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' });
    expect(actions('a')).toEqual({ integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' });
    expect(actions('s')).toEqual({ integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'enforce', expiry: 'log', revocation: 'skip' });
    expect(actions('skip')?.integrity).toBe('skip');
  });

  it.each([
    ['a wrong version', { version: '2.0', trustPolicies: [strict('x', ['*'])] }, /supported version is "1.0"/],
    ['no policies', { version: '1.0', trustPolicies: [] }, /trustPolicies is missing or empty/],
    ['two policies with one name', { version: '1.0', trustPolicies: [strict('x', ['registry.test/a/b']), strict('x', ['registry.test/a/c'])] }, /two policies are named "x"/],
    ['one scope in two policies', { version: '1.0', trustPolicies: [strict('x', ['registry.test/a/b']), strict('y', ['registry.test/a/b'])] }, /is in both "x" and "y"/],
    ['two global policies', { version: '1.0', trustPolicies: [strict('x', ['*']), strict('y', ['*'])] }, /"\*" is in both/],
    ['"*" beside another scope', { version: '1.0', trustPolicies: [strict('x', ['*', 'registry.test/a/b'])] }, /must be the only registry scope/],
    ['a scope that is not fully qualified', { version: '1.0', trustPolicies: [strict('x', ['alpine'])] }, /not a fully qualified repository/],
    ['a wildcard inside a scope', { version: '1.0', trustPolicies: [strict('x', ['registry.test/*'])] }, /not a fully qualified repository/],
    ['an unknown level', { version: '1.0', trustPolicies: [strict('x', ['*'], { signatureVerification: { level: 'lenient' } })] }, /level "lenient" is not strict/],
    ['an integrity override', { version: '1.0', trustPolicies: [strict('x', ['*'], { signatureVerification: { level: 'strict', override: { integrity: 'log' } } })] }, /integrity cannot be overridden/],
    ['skipping authenticity', { version: '1.0', trustPolicies: [strict('x', ['*'], { signatureVerification: { level: 'strict', override: { authenticity: 'skip' } } })] }, /override authenticity is "skip"; allowed: enforce, log/],
    ['an override of skip', { version: '1.0', trustPolicies: [{ name: 'x', registryScopes: ['registry.test/a/b'], signatureVerification: { level: 'skip', override: { expiry: 'log' } } }] }, /skip level cannot be overridden/],
    ['skip with trust stores', { version: '1.0', trustPolicies: [strict('x', ['registry.test/a/b'], { signatureVerification: { level: 'skip' } })] }, /must not name trustStores/],
    ['skip for the global scope', { version: '1.0', trustPolicies: [{ name: 'x', registryScopes: ['*'], signatureVerification: { level: 'skip' } }] }, /cannot apply to the global scope/],
    ['no trust stores', { version: '1.0', trustPolicies: [strict('x', ['*'], { trustStores: [] })] }, /has no trustStores/],
    ['a bad trust store reference', { version: '1.0', trustPolicies: [strict('x', ['*'], { trustStores: ['x509:acme'] })] }, /trust store "x509:acme" is not "ca:<name>"/],
    ['no trusted identities', { version: '1.0', trustPolicies: [strict('x', ['*'], { trustedIdentities: [] })] }, /has no trustedIdentities/],
    ['"*" beside an identity', { version: '1.0', trustPolicies: [strict('x', ['*'], { trustedIdentities: ['*', 'x509.subject: C=US, ST=WA, O=a'] })] }, /"\*" must be the only one/],
    ['an identity without x509.subject', { version: '1.0', trustPolicies: [strict('x', ['*'], { trustedIdentities: ['C=US, ST=WA, O=a'] })] }, /does not start with "x509.subject:"/],
    ['an identity without ST', { version: '1.0', trustPolicies: [strict('x', ['*'], { trustedIdentities: ['x509.subject: C=US, O=a'] })] }, /lacks ST; C, ST and O are required/],
    ['overlapping identities', { version: '1.0', trustPolicies: [strict('x', ['*'], { trustedIdentities: ['x509.subject: C=US, ST=WA, O=wabbit-network.io, OU=org1', 'x509.subject: C=US, ST=WA, O=wabbit-network.io'] })] }, /overlap/],
    ['an attribute twice', { version: '1.0', trustPolicies: [strict('x', ['*'], { trustedIdentities: ['x509.subject: C=US, ST=WA, O=a, O=b'] })] }, /the attribute O appears twice/],
  ])('refuses %s', (_name, body, message) => {
    expect(() => parseTrustPolicy(JSON.stringify(body))).toThrow(message);
  });

  it('refuses a document that is not JSON, too deep, or has duplicate keys', () => {
    expect(() => parseTrustPolicy('{')).toThrow(/trust policy: trustpolicy.json is not valid JSON/);
    expect(() => parseTrustPolicy('{"version":"1.0","version":"1.0"}')).toThrow(/has the key "version" twice/);
    expect(() => parseTrustPolicy('['.repeat(50) + ']'.repeat(50))).toThrow(/nested deeper/);
    expect(() => parseTrustPolicy(' '.repeat(1024 * 1024 + 1))).toThrow(/the document is over 1048576 bytes/);
  });

  it('parses distinguished names with the escapes of the spec', () => {
    expect([...parseDistinguishedName('C=US, ST=WA, O=Acme\\, Inc., OU=\\ lead\\;trail\\ , CN=a\\\\b')]).toEqual([
      ['C', 'US'],
      ['ST', 'WA'],
      ['O', 'Acme, Inc.'],
      ['OU', ' lead;trail '],
      ['CN', 'a\\b'],
    ]);
    expect(() => parseDistinguishedName('C=US, junk')).toThrow(/"junk" is not TYPE=value/);
  });

  it('matches an identity against a subset of the subject attributes, exactly', () => {
    const subject = [
      { type: 'C', value: 'US' },
      { type: 'ST', value: 'WA' },
      { type: 'O', value: 'Acme' },
      { type: 'CN', value: 'signer' },
    ];
    const id = (text: string) => ({ text, attributes: parseDistinguishedName(text) });
    expect(identityMatches(id('C=US, ST=WA, O=Acme'), subject)).toBe(true);
    expect(identityMatches(id('C=US, ST=WA, O=Acme, CN=signer'), subject)).toBe(true);
    expect(identityMatches(id('C=US, ST=WA, O=acme'), subject)).toBe(false);
    expect(identityMatches(id('C=US, ST=WA, O=Acme, OU=Dev'), subject)).toBe(false);
  });
});

describe('certificate requirements (signing and verifying)', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await makeTestPki('P-256');
  });
  const leafWith = async (options: Parameters<typeof issueTestCertificate>[0] extends infer O ? Partial<O> : never) => {
    const key = options.key ?? (await generateTestKey('P-256'));
    return { key, cert: await issueTestCertificate({ subject: TEST_LEAF_SUBJECT, key, issuer: { certificate: pki.intermediate, key: pki.intermediateKey }, ...options }) };
  };

  it('accepts the well-formed chain', () => {
    expect(() => validateCertificateChain(pki.chain, 'codeSigning')).not.toThrow();
  });

  it.each([
    ['a CA leaf', { ca: true, keyUsage: ['digitalSignature'] }, /is a CA certificate/],
    ['a leaf without keyUsage', { keyUsage: [] }, /has no keyUsage extension/],
    ['a non-critical keyUsage', { keyUsageCritical: false }, /keyUsage extension that is not critical/],
    ['a leaf without digitalSignature', { keyUsage: ['nonRepudiation'] }, /lacks the digitalSignature key usage/],
    ['a leaf with keyCertSign', { keyUsage: ['digitalSignature', 'keyCertSign'] }, /key usage keyCertSign, which a Notary Project leaf must not have/],
    ['a serverAuth leaf', { extendedKeyUsage: ['1.3.6.1.5.5.7.3.1'] }, /extended key usage 1.3.6.1.5.5.7.3.1/],
    ['a timeStamping leaf used for code signing', { extendedKeyUsage: ['1.3.6.1.5.5.7.3.8'] }, /extended key usage 1.3.6.1.5.5.7.3.8/],
    ['a SHA-1 signed leaf', { hash: 'SHA-1' }, /signed with ecdsa-with-SHA1/],
  ] as const)('refuses %s', async (_name, options, message) => {
    const { cert } = await leafWith(options as never);
    expect(() => validateCertificateChain([cert, pki.intermediate, pki.root], 'codeSigning')).toThrow(message);
  });

  it('refuses a 1024-bit RSA key', async () => {
    const { cert } = await leafWith({ key: await generateTestKey('RSA-1024') });
    expect(() => validateCertificateChain([cert, pki.intermediate, pki.root], 'codeSigning')).toThrow(/RSA key of 1024 bits \(at least 2048\)/);
  }, 20_000);

  it('refuses a chain longer than a pathLenConstraint allows', async () => {
    const key = await generateTestKey('P-256');
    const second = await issueTestCertificate({ subject: { C: 'US', ST: 'WA', O: 'Bulkhead Test', CN: 'second intermediate' }, key, issuer: { certificate: pki.intermediate, key: pki.intermediateKey }, ca: true });
    const leafKey = await generateTestKey('P-256');
    const leaf = await issueTestCertificate({ subject: TEST_LEAF_SUBJECT, key: leafKey, issuer: { certificate: second, key } });
    expect(() => validateCertificateChain([leaf, second, pki.intermediate, pki.root], 'codeSigning')).toThrow(/Bulkhead Test Intermediate\) allows 0 intermediate certificates below it, the chain has 1/);
  });

  it('refuses an intermediate that is not a CA, and a chain without its root', async () => {
    const key = await generateTestKey('P-256');
    const notCa = await issueTestCertificate({ subject: { C: 'US', ST: 'WA', O: 'Bulkhead Test', CN: 'not a ca' }, key, issuer: { certificate: pki.root, key: pki.rootKey }, ca: false, keyUsage: ['keyCertSign'] });
    const leafKey = await generateTestKey('P-256');
    const leaf = await issueTestCertificate({ subject: TEST_LEAF_SUBJECT, key: leafKey, issuer: { certificate: notCa, key } });
    expect(() => validateCertificateChain([leaf, notCa, pki.root], 'codeSigning')).toThrow(/not a CA \(basicConstraints cA=false\)/);
    expect(() => validateCertificateChain([pki.leaf, pki.intermediate], 'codeSigning')).toThrow(/does not end with a self-signed root/);
  });

  it('a signature whose chain breaks a rule fails authenticity at verification', async () => {
    // Signed with a valid chain, then the envelope's chain is swapped for one with a CA leaf of the same key.
    const signed = await signNotation({ format: 'jws', descriptor: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${createHash('sha256').update('m').digest('hex')}`, size: 1 }, key: pki.leafKey.privateKey, certificateChain: pki.chain });
    const caLeaf = await issueTestCertificate({ subject: TEST_LEAF_SUBJECT, key: pki.leafKey, issuer: { certificate: pki.intermediate, key: pki.intermediateKey }, ca: true, keyUsage: ['digitalSignature'] });
    const envelope = JSON.parse(signed.envelope.toString());
    envelope.header.x5c[0] = caLeaf.der.toString('base64');
    const result = await verifyNotationSignature({
      envelope: Buffer.from(JSON.stringify(envelope)),
      mediaType: JWS_MEDIA_TYPE,
      artifactReference: 'registry.test/a/b:1',
      trustPolicy: parseTrustPolicy(doc([strict('x', ['*'])])),
      trustStore: new MemoryTrustStore({ 'ca:acme': [pki.root] }),
    });
    expect(result.checks[0].outcome).toBe('passed');
    expect(result.failure?.check).toBe('authenticity');
    expect(result.failure?.message).toMatch(/is a CA certificate/);
  });
});
