import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeCbor, encodeCbor, Tag } from './cbor';
import { parseStrictJson, decodeBase64, decodeBase64Url } from './encoding';
import { parseEnvelope } from './envelope';
import { COSE_MEDIA_TYPE, JWS_MEDIA_TYPE } from './envelope-model';
import { MAX_CHAIN_LENGTH, MAX_ENVELOPE_BYTES } from './limits';
import { signNotation } from './sign';
import { FileTrustStore } from './trust-store';
import { verifyNotationSignature } from './verify';
import { parseTrustPolicy } from './trust-policy';
import { parseCertificateFile, toPem } from './x509';
import { makeTestPki, type TestPki } from './testing/test-pki';

// Hostile input: every malformed envelope, document or store ends in a clear error naming the
// problem, bounded in time and memory.

const target = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${createHash('sha256').update('x').digest('hex')}`, size: 1 };

describe('JSON', () => {
  it('refuses deep nesting before JSON.parse sees it', () => {
    expect(() => parseStrictJson('['.repeat(100_000) + ']'.repeat(100_000), 'doc')).toThrow(/nested deeper than 16 levels/);
  });
  it('refuses duplicate keys at any depth', () => {
    expect(() => parseStrictJson('{"alg":"PS256","alg":"none"}', 'the header')).toThrow(/the header has the key "alg" twice/);
    expect(() => parseStrictJson('{"a":{"b":1,"\\u0062":2}}', 'doc')).toThrow(/key "b" twice/);
    expect(parseStrictJson('{"a":{"b":1},"c":{"b":2}}', 'doc')).toEqual({ a: { b: 1 }, c: { b: 2 } });
  });
  it('refuses oversized containers and reports bad JSON', () => {
    expect(() => parseStrictJson(`[${'1,'.repeat(2000)}1]`, 'doc')).toThrow(/more than 1024 items/);
    expect(() => parseStrictJson('{"a":', 'doc')).toThrow(/doc is not valid JSON/);
    expect(() => parseStrictJson('"abc', 'doc')).toThrow(/unterminated string/);
  });
});

describe('base64', () => {
  it('refuses characters outside the alphabet instead of skipping them', () => {
    expect(() => decodeBase64Url('ab$cd', 'the JWS payload')).toThrow(/the JWS payload is not valid base64url/);
    expect(() => decodeBase64Url('abc=', 'the JWS payload')).toThrow(/not valid base64url/);
    expect(() => decodeBase64('YWJj ZA==', 'x5c[0]')).toThrow(/x5c\[0\] is not valid base64/);
    expect(() => decodeBase64Url(42, 'the JWS signature')).toThrow(/is not a string/);
    expect(decodeBase64Url('YWJj', 'x').toString()).toBe('abc');
  });
});

describe('CBOR', () => {
  it('refuses a length beyond the input (no allocation of what is only claimed)', () => {
    // byte string claiming 2^32 bytes, array claiming 2^32 items
    expect(() => decodeCbor(Buffer.from('5affffffff00', 'hex'), 'env')).toThrow(/CBOR string longer than the input/);
    expect(() => decodeCbor(Buffer.from('9affffffff', 'hex'), 'env')).toThrow(/CBOR array of 4294967295 items/);
    expect(() => decodeCbor(Buffer.from('bb0000000100000000', 'hex'), 'env')).toThrow(/CBOR map of 4294967296 entries/);
  });
  it('refuses indefinite lengths, duplicate keys, deep nesting, foreign tags, trailing bytes', () => {
    expect(() => decodeCbor(Buffer.from('9f01ff', 'hex'), 'env')).toThrow(/indefinite-length/);
    expect(() => decodeCbor(Buffer.from('a2010201 03'.replace(/ /g, ''), 'hex'), 'env')).toThrow(/map key 1 twice/);
    // the same key written in a longer form is still the same key
    expect(() => decodeCbor(Buffer.from('a20102180103', 'hex'), 'env')).toThrow(/map key 1 twice/);
    expect(() => decodeCbor(Buffer.from('81'.repeat(100) + '01', 'hex'), 'env')).toThrow(/deeper than 16/);
    expect(() => decodeCbor(Buffer.from('d81c01', 'hex'), 'env')).toThrow(/tag 28/);
    expect(() => decodeCbor(Buffer.from('0101', 'hex'), 'env')).toThrow(/1 trailing bytes/);
    expect(() => decodeCbor(Buffer.from('a1f601', 'hex'), 'env')).toThrow(/neither an integer nor text/);
    expect(() => decodeCbor(Buffer.from('62c328', 'hex'), 'env')).toThrow(/not valid UTF-8/);
    expect(() => decodeCbor(Buffer.from('5a0000', 'hex'), 'env')).toThrow(/ends in the middle/);
  });
});

describe('envelopes', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await makeTestPki('P-256');
  });

  it('refuses an envelope over the size limit before parsing it', () => {
    const big = Buffer.alloc(MAX_ENVELOPE_BYTES + 1, 0x20);
    expect(() => parseEnvelope(big, JWS_MEDIA_TYPE)).toThrow(/at most 4194304/);
    expect(() => parseEnvelope(big, COSE_MEDIA_TYPE)).toThrow(/at most 4194304/);
  });

  it('refuses an unknown media type', () => {
    expect(() => parseEnvelope(Buffer.from('{}'), 'application/json')).toThrow(/neither application\/jose\+json nor application\/cose/);
  });

  it('refuses a certificate chain that is too long', async () => {
    const signed = await signNotation({ format: 'jws', descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain });
    const doc = JSON.parse(signed.envelope.toString());
    doc.header.x5c = Array.from({ length: MAX_CHAIN_LENGTH + 1 }, () => doc.header.x5c[2]);
    expect(() => parseEnvelope(Buffer.from(JSON.stringify(doc)), JWS_MEDIA_TYPE)).toThrow(/x5c chain has 11 certificates \(at most 10\)/);
    const cose = await signNotation({ format: 'cose', descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain });
    const parts = (decodeCbor(cose.envelope, 't') as Tag).value as unknown[];
    const unprotected = parts[1] as Map<unknown, unknown>;
    unprotected.set(33, Array.from({ length: MAX_CHAIN_LENGTH + 1 }, () => pki.root.der));
    expect(() => parseEnvelope(encodeCbor(new Tag(parts, 18)), COSE_MEDIA_TYPE)).toThrow(/x5chain has 11 certificates/);
  });

  it('names what is wrong in a malformed JWS', async () => {
    const signed = await signNotation({ format: 'jws', descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain });
    const good = JSON.parse(signed.envelope.toString());
    type Jws = { protected: string; header: { x5c?: string[] }; signatures?: unknown };
    const mutate = (f: (d: Jws) => void) => {
      const d = JSON.parse(JSON.stringify(good)) as Jws;
      f(d);
      return () => parseEnvelope(Buffer.from(JSON.stringify(d)), JWS_MEDIA_TYPE);
    };
    const header = (h: Record<string, unknown>) => Buffer.from(JSON.stringify(h)).toString('base64url');
    const protectedHeader = JSON.parse(Buffer.from(good.protected, 'base64url').toString());
    expect(mutate((d) => delete d.header.x5c)).toThrow(/has no x5c certificate chain/);
    expect(mutate((d) => (d.header.x5c = ['bm90IGEgY2VydA=='])) ).toThrow(/x5c\[0\] is not a DER X.509 certificate/);
    expect(mutate((d) => (d.signatures = []))).toThrow(/has the member "signatures"/);
    expect(mutate((d) => (d.protected = header({ ...protectedHeader, alg: 'none' })))).toThrow(/JWS algorithm "none" is not one of/);
    expect(mutate((d) => (d.protected = header({ ...protectedHeader, alg: 'RS256' })))).toThrow(/"RS256" is not one of/);
    expect(mutate((d) => (d.protected = header({ ...protectedHeader, crit: [] })))).toThrow(/no crit list/);
    expect(mutate((d) => (d.protected = header({ ...protectedHeader, crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry'] })))).toThrow(/names "io.cncf.notary.expiry", which the protected header lacks/);
    expect(mutate((d) => (d.protected = header({ ...protectedHeader, 'io.cncf.notary.expiry': '2099-01-01T00:00:00Z' })))).toThrow(/has io.cncf.notary.expiry but its crit list does not name it/);
    expect(mutate((d) => (d.protected = header({ ...protectedHeader, 'io.cncf.notary.signingTime': 'yesterday' })))).toThrow(/signingTime is not an RFC 3339 time/);
    expect(mutate((d) => (d.protected = header({ ...protectedHeader, 'io.cncf.notary.signingScheme': 'notary.x509.other' })))).toThrow(/not notary.x509 or notary.x509.signingAuthority/);
    expect(mutate((d) => (d.protected = 'e30'))).toThrow(/JWS algorithm undefined/);
  });

  it('fails verification (not an exception) for an unknown critical attribute, a wrong algorithm, garbage', async () => {
    const policy = parseTrustPolicy(JSON.stringify({ version: '1.0', trustPolicies: [{ name: 'p', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:x'], trustedIdentities: ['*'] }] }));
    const base = { artifactReference: 'registry.test/a/b:1', trustPolicy: policy, trustStore: new (await import('./trust-store')).MemoryTrustStore({ 'ca:x': [pki.root] }) };
    const crit = await signNotation({ format: 'cose', descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain, extendedAttributes: [{ key: 'com.example.mustUnderstand', value: 'x', critical: true }] });
    const r1 = await verifyNotationSignature({ ...base, envelope: crit.envelope, mediaType: crit.mediaType });
    expect(r1.failure?.check).toBe('integrity');
    expect(r1.failure?.message).toMatch(/marks "com.example.mustUnderstand" critical, and this verifier does not process it/);
    const r2 = await verifyNotationSignature({ ...base, envelope: crit.envelope, mediaType: crit.mediaType, understoodCriticalAttributes: ['com.example.mustUnderstand'] });
    expect(r2.verified).toBe(true);

    const jws = await signNotation({ format: 'jws', descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain });
    const doc = JSON.parse(jws.envelope.toString());
    const h = JSON.parse(Buffer.from(doc.protected, 'base64url').toString());
    doc.protected = Buffer.from(JSON.stringify({ ...h, alg: 'ES384' })).toString('base64url');
    const r3 = await verifyNotationSignature({ ...base, envelope: Buffer.from(JSON.stringify(doc)), mediaType: JWS_MEDIA_TYPE });
    expect(r3.failure?.message).toMatch(/the envelope says ES384, but the signing certificate's key requires ES256/);

    for (const garbage of [Buffer.from('not json'), Buffer.from([0xd2, 0x84, 0x40]), Buffer.alloc(0)]) {
      for (const mediaType of [JWS_MEDIA_TYPE, COSE_MEDIA_TYPE]) {
        const r = await verifyNotationSignature({ ...base, envelope: garbage, mediaType });
        expect(r.verified).toBe(false);
        expect(r.failure?.check).toBe('integrity');
      }
    }
  });

  it('a COSE envelope that is not COSE_Sign1_Tagged, or has a detached payload, is refused', async () => {
    const cose = await signNotation({ format: 'cose', descriptor: target, key: pki.leafKey.privateKey, certificateChain: pki.chain });
    const parts = (decodeCbor(cose.envelope, 't') as Tag).value as unknown[];
    expect(() => parseEnvelope(encodeCbor(parts), COSE_MEDIA_TYPE)).toThrow(/not a COSE_Sign1_Tagged message/);
    expect(() => parseEnvelope(encodeCbor(new Tag([parts[0], parts[1], null, parts[3]], 18)), COSE_MEDIA_TYPE)).toThrow(/payload is detached/);
    expect(() => parseEnvelope(encodeCbor(new Tag([parts[0], parts[1], parts[2]], 18)), COSE_MEDIA_TYPE)).toThrow(/not an array of 4 items/);
  });
});

describe('trust store folders', () => {
  let dir: string;
  let pki: TestPki;
  beforeAll(async () => {
    pki = await makeTestPki('P-256');
    dir = mkdtempSync(path.join(tmpdir(), 'notation-store-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads PEM bundles and DER files; refuses symlinks, missing stores, bad names, garbage', () => {
    const ca = path.join(dir, 'x509/ca/good');
    mkdirSync(ca, { recursive: true });
    writeFileSync(path.join(ca, 'bundle.pem'), toPem(pki.root) + toPem(pki.intermediate));
    writeFileSync(path.join(ca, 'leaf.cer'), pki.leaf.der);
    writeFileSync(path.join(ca, 'README.txt'), 'ignored');
    const store = new FileTrustStore(dir);
    expect(store.certificates('ca', 'good').map((c) => c.subjectText)).toEqual([pki.root.subjectText, pki.intermediate.subjectText, pki.leaf.subjectText]);
    expect(() => store.certificates('ca', 'absent')).toThrow(/trust store ca:absent does not exist/);
    expect(() => store.certificates('ca', '../good')).toThrow(/may only use letters/);
    const linked = path.join(dir, 'x509/ca/linked');
    mkdirSync(linked, { recursive: true });
    symlinkSync(path.join(ca, 'leaf.cer'), path.join(linked, 'leaf.pem'));
    expect(() => store.certificates('ca', 'linked')).toThrow(/leaf.pem is not a regular file/);
    const bad = path.join(dir, 'x509/tsa/bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(path.join(bad, 'x.crt'), '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n');
    expect(() => store.certificates('tsa', 'bad')).toThrow(/PEM block 1 is not valid base64/);
    const empty = path.join(dir, 'x509/signingAuthority/empty');
    mkdirSync(empty, { recursive: true });
    expect(() => store.certificates('signingAuthority', 'empty')).toThrow(/has no certificate/);
    // notation's config folder (truststore/x509) and the x509 folder itself name the same store
    const config = mkdtempSync(path.join(tmpdir(), 'notation-config-'));
    try {
      mkdirSync(path.join(config, 'truststore/x509/ca/good'), { recursive: true });
      writeFileSync(path.join(config, 'truststore/x509/ca/good/root.pem'), toPem(pki.root));
      expect(new FileTrustStore(config).certificates('ca', 'good')).toHaveLength(1);
      expect(new FileTrustStore(path.join(config, 'truststore/x509')).certificates('ca', 'good')).toHaveLength(1);
      expect(() => new FileTrustStore(path.join(config, 'truststore/x509/ca'))).toThrow(/has no x509\/ folder/);
    } finally {
      rmSync(config, { recursive: true, force: true });
    }
    expect(() => parseCertificateFile(Buffer.from('-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n'), 'k.pem')).toThrow(/k.pem has no PEM CERTIFICATE block/);
  });
});
