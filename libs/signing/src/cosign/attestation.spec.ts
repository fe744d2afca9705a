import { generateKeyPairSync } from 'node:crypto';
import { buildAttestationLayer, signStatement, verifyAttestation } from './attestation';
import { buildDsseBundle, parseBundle, serializeBundle, verifyImageBundle } from './bundle';
import { parseDsseEnvelope, preAuthEncoding, serializeDsseEnvelope, signDsse, verifyDsse } from './dsse';
import { buildStatement, cycloneDxStatement, imageSubject, PREDICATE_TYPES, slsaProvenanceStatement, statementBytes, vulnReportStatement } from './in-toto';
import { sha256Digest } from './oci';
import { buildSignatureImage, parseSignatureImage } from './signature-image';

describe('DSSE', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('PAE matches the DSSE spec example', () => {
    expect(preAuthEncoding('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
    // Lengths are in bytes, not characters.
    expect(preAuthEncoding('t', Buffer.from('é')).toString()).toBe('DSSEv1 1 t 2 é');
  });

  it('signs and verifies; the type is bound by PAE; other keys and garbage fail for their reasons', () => {
    const envelope = signDsse(privateKey, 'application/vnd.in-toto+json', Buffer.from('{}'));
    expect(JSON.parse(serializeDsseEnvelope(envelope).toString())).toEqual({ payloadType: 'application/vnd.in-toto+json', payload: 'e30=', signatures: [{ keyid: '', sig: envelope.signatures[0].sig }] });
    expect(verifyDsse(envelope, publicKey)).toMatchObject({ ok: true });
    expect(verifyDsse({ ...envelope, payloadType: 'text/plain' }, publicKey)).toMatchObject({ ok: false, reason: 'wrong-key' });
    expect(verifyDsse(envelope, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)).toMatchObject({ ok: false, reason: 'wrong-key' });
    expect(verifyDsse({ ...envelope, signatures: [{ sig: '!!' }] }, publicKey)).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verifyDsse({ ...envelope, payload: '%%%' }, publicKey)).toMatchObject({ ok: false, reason: 'malformed-envelope' });
    expect(verifyDsse(envelope, publicKey, 'text/plain')).toMatchObject({ ok: false, reason: 'malformed-envelope' });
    expect(() => parseDsseEnvelope(Buffer.from('{"payloadType":"x","payload":"","signatures":[]}'))).toThrow('DSSE envelope: signatures must be a non-empty array');
    expect(() => parseDsseEnvelope(Buffer.from('{"payloadType":"x","payload":"","signatures":[{"sig":1}]}'))).toThrow('DSSE envelope: signatures[0].sig must be a string');
  });
});

describe('in-toto attestations', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const digest = sha256Digest(Buffer.from('image manifest'));
  const repo = 'registry.example/app';
  const bom = { bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components: [{ type: 'library', name: 'openssl', version: '3.0.11' }] };

  it('builds statements for CycloneDX, cosign’s vulnerability report and SLSA provenance v1', () => {
    const sbom = cycloneDxStatement(digest, repo, bom);
    expect(JSON.parse(statementBytes(sbom).toString())).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: repo, digest: { sha256: digest.slice(7) } }],
      predicateType: 'https://cyclonedx.org/bom',
      predicate: bom,
    });
    expect(Object.keys(JSON.parse(statementBytes(sbom).toString()))).toEqual(['_type', 'subject', 'predicateType', 'predicate']);
    expect(() => cycloneDxStatement(digest, repo, { spdxVersion: 'SPDX-2.3' })).toThrow('expected a CycloneDX JSON document');

    const vuln = vulnReportStatement(digest, repo, {
      scanner: { uri: 'pkg:npm/@bulkhead/source@0.1.0', version: '0.1.0', db: { uri: 'osv', version: '2026-12-01' }, result: { findings: [] } },
      scanStartedOn: new Date('2026-12-07T10:00:00Z'),
      scanFinishedOn: '2026-12-07T10:00:01.5Z',
    });
    expect(vuln.predicateType).toBe('https://cosign.sigstore.dev/attestation/vuln/v1');
    expect(vuln.predicate).toEqual({
      invocation: { parameters: null, uri: '', event_id: '', 'builder.id': '' },
      scanner: { uri: 'pkg:npm/@bulkhead/source@0.1.0', version: '0.1.0', db: { uri: 'osv', version: '2026-12-01' }, result: { findings: [] } },
      metadata: { scanStartedOn: '2026-12-07T10:00:00Z', scanFinishedOn: '2026-12-07T10:00:01.500Z' },
    });
    expect(() => vulnReportStatement(digest, repo, { scanner: { uri: '', version: '', result: {} }, scanStartedOn: 'yesterday', scanFinishedOn: new Date() })).toThrow('scanStartedOn: not a valid time');

    const slsa = slsaProvenanceStatement(digest, repo, {
      buildType: 'https://bulkhead.dev/build/v1',
      externalParameters: { source: 'git+https://example/app@refs/heads/main' },
      builderId: 'https://bulkhead.dev/builder',
      invocationId: 'run-1',
      startedOn: '2026-12-07T10:00:00Z',
    });
    expect(slsa.predicate).toEqual({
      buildDefinition: { buildType: 'https://bulkhead.dev/build/v1', externalParameters: { source: 'git+https://example/app@refs/heads/main' } },
      runDetails: { builder: { id: 'https://bulkhead.dev/builder' }, metadata: { invocationId: 'run-1', startedOn: '2026-12-07T10:00:00Z' } },
    });
    expect(() => buildStatement([], PREDICATE_TYPES.cyclonedx, {})).toThrow('at least one subject');
  });

  it('legacy .att layer: signed, laid out as cosign does, verified with subject and predicate type checks', () => {
    const envelope = signStatement(privateKey, cycloneDxStatement(digest, repo, bom));
    const layer = buildAttestationLayer(envelope, PREDICATE_TYPES.cyclonedx);
    expect(layer.descriptor).toMatchObject({
      mediaType: 'application/vnd.dsse.envelope.v1+json',
      annotations: { 'dev.cosignproject.cosign/signature': '', 'dev.cosignproject.cosign/predicateType': 'https://cyclonedx.org/bom' },
    });
    const image = buildSignatureImage([layer.descriptor]);
    const [entry] = parseSignatureImage(image.manifest.bytes);
    expect(entry.predicateType).toBe(PREDICATE_TYPES.cyclonedx);

    expect(verifyAttestation(layer.bytes, publicKey, digest, PREDICATE_TYPES.cyclonedx)).toMatchObject({ ok: true, statement: { predicate: bom } });
    expect(verifyAttestation(layer.bytes, publicKey, sha256Digest(Buffer.from('another image')))).toMatchObject({ ok: false, reason: 'subject-mismatch' });
    expect(verifyAttestation(layer.bytes, publicKey, digest, PREDICATE_TYPES.slsaProvenanceV1)).toMatchObject({ ok: false, reason: 'predicate-type-mismatch' });
    expect(verifyAttestation(layer.bytes, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey, digest)).toMatchObject({ ok: false, reason: 'wrong-key' });
    expect(verifyAttestation(Buffer.from('garbage'), publicKey, digest)).toMatchObject({ ok: false, reason: 'malformed-envelope' });
    const notStatement = serializeDsseEnvelope(signDsse(privateKey, 'application/vnd.in-toto+json', Buffer.from('{"_type":"other"}')));
    expect(verifyAttestation(notStatement, publicKey, digest)).toMatchObject({ ok: false, reason: 'malformed-statement' });
  });

  it('the same attestation as a bundle referrer verifies with subject and predicate checks', () => {
    const statement = slsaProvenanceStatement(digest, repo, { buildType: 'b', externalParameters: {}, builderId: 'x' });
    const bundle = parseBundle(serializeBundle(buildDsseBundle(privateKey, statementBytes(statement))));
    expect(verifyImageBundle(bundle, publicKey, digest, { predicateType: PREDICATE_TYPES.slsaProvenanceV1 }).ok).toBe(true);
    const multi = buildStatement([imageSubject(sha256Digest(Buffer.from('a'))), imageSubject(digest)], PREDICATE_TYPES.slsaProvenanceV1, {});
    expect(verifyImageBundle(parseBundle(serializeBundle(buildDsseBundle(privateKey, statementBytes(multi)))), publicKey, digest).ok).toBe(true);
  });
});
