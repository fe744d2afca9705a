import { generateKeyPairSync } from 'node:crypto';
import { signStatement, buildAttestationLayer, verifyAttestation } from './attestation';
import { buildDsseBundle, buildMessageSignatureBundle, parseBundle, serializeBundle, verifyBundleSignature, verifyImageBundle } from './bundle';
import { decryptWithPassword, encryptWithPassword, SCRYPT_PARAMETER_SETS } from './encrypted';
import { SigningFormatError } from './errors';
import { cosignSignStatement, cycloneDxStatement, parseStatement, statementBytes } from './in-toto';
import { loadPublicKey, publicKeyFromCertificate, publicKeyToPem } from './keys';
import { sha256Digest } from './oci';
import { buildBundleReferrer, parseBundleReferrer } from './referrer';
import { buildSignatureImage, buildSignatureLayer, parseSignatureImage } from './signature-image';
import { buildSimpleSigningPayload, parseSimpleSigningPayload, signPayload, verifySimpleSigning } from './simple-signing';

/**
 * Mutation test of every parser and verifier over untrusted bytes: thousands of corrupted copies
 * of valid documents (bytes flipped, cut, duplicated, JSON values swapped for other types). Each
 * must either succeed or fail with a SigningFormatError / a failure result, never with a crash
 * from deep inside (TypeError, RangeError, a Node crypto exception).
 */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutations(input: Buffer, count: number, seed: number): Buffer[] {
  const random = mulberry32(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const tokens = ['null', '0', '-1', '1e309', '""', '[]', '{}', 'true', '"\\u0000"', '"' + 'A'.repeat(50) + '"', '[[[[[[]]]]]]'];
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const b = Buffer.from(input);
    switch (i % 5) {
      case 0:
        for (let j = 0; j < 1 + pick(4); j++) b[pick(b.length)] = pick(256);
        out.push(b);
        break;
      case 1:
        out.push(b.subarray(0, pick(b.length)));
        break;
      case 2: {
        const at = pick(b.length);
        out.push(Buffer.concat([b.subarray(0, at), b.subarray(pick(b.length)), b.subarray(at)]));
        break;
      }
      default: {
        // Replace one JSON value (after a colon) with a value of another type.
        const text = input.toString('latin1');
        const colons = [...text.matchAll(/:/g)].map((m) => m.index ?? 0);
        if (colons.length === 0) {
          out.push(b);
          break;
        }
        const at = colons[pick(colons.length)] + 1;
        const rest = text.slice(at);
        const end = rest.search(/[,}\]]/);
        const replaced = text.slice(0, at) + tokens[pick(tokens.length)] + (end < 0 ? '' : rest.slice(end));
        out.push(Buffer.from(replaced, 'latin1'));
      }
    }
  }
  return out;
}

function expectOnlyClearErrors(label: string, inputs: Buffer[], use: (input: Buffer) => unknown): void {
  for (const input of inputs) {
    try {
      use(input);
    } catch (error) {
      if (!(error instanceof SigningFormatError)) {
        throw new Error(`${label}: ${(error as Error).name}: ${(error as Error).message} for input ${JSON.stringify(input.toString('latin1').slice(0, 200))}`, { cause: error });
      }
    }
  }
}

describe('hostile input: corrupted copies of valid documents fail with clear errors only', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const digest = sha256Digest(Buffer.from('manifest'));
  const N = 600;

  it('simple-signing payloads and their verification', () => {
    const payload = buildSimpleSigningPayload({ dockerReference: 'r.example/app', manifestDigest: digest, optional: { a: 1 } });
    const signature = signPayload(privateKey, payload);
    expectOnlyClearErrors('parseSimpleSigningPayload', mutations(payload, N, 1), parseSimpleSigningPayload);
    expectOnlyClearErrors('verifySimpleSigning', mutations(payload, N, 2), (p) => verifySimpleSigning({ payload: p, signature, publicKey, expectedDigest: digest }));
    expectOnlyClearErrors('verifySimpleSigning(signature)', mutations(Buffer.from(signature), N, 3), (s) => verifySimpleSigning({ payload, signature: s.toString('latin1'), publicKey, expectedDigest: digest }));
  });

  it('signature and attestation manifests, DSSE layers, statements', () => {
    const payload = buildSimpleSigningPayload({ dockerReference: 'r.example/app', manifestDigest: digest });
    const layer = buildSignatureLayer({ payload, signature: signPayload(privateKey, payload), certificatePem: 'x' });
    const image = buildSignatureImage([layer.descriptor]);
    expectOnlyClearErrors('parseSignatureImage', mutations(image.manifest.bytes, N, 4), parseSignatureImage);
    expectOnlyClearErrors('buildSignatureImage(existing)', mutations(image.manifest.bytes, N, 5), (m) => buildSignatureImage([layer.descriptor], m));
    const att = buildAttestationLayer(signStatement(privateKey, cycloneDxStatement(digest, 'r', { bomFormat: 'CycloneDX', specVersion: '1.5' })), 'https://cyclonedx.org/bom');
    expectOnlyClearErrors('verifyAttestation', mutations(att.bytes, N, 6), (e) => verifyAttestation(e, publicKey, digest));
    expectOnlyClearErrors('parseStatement', mutations(statementBytes(cosignSignStatement(digest)), N, 7), parseStatement);
  });

  it('bundles and their referrer manifests', () => {
    const dsse = serializeBundle(buildDsseBundle(privateKey, statementBytes(cosignSignStatement(digest))));
    const message = serializeBundle(buildMessageSignatureBundle(privateKey, Buffer.from('manifest')));
    for (const [label, bytes, seed] of [
      ['dsse bundle', dsse, 8],
      ['message bundle', message, 9],
    ] as const) {
      expectOnlyClearErrors(label, mutations(bytes, N, seed), (b) => {
        const bundle = parseBundle(b);
        verifyBundleSignature(bundle, publicKey, Buffer.from('manifest'));
        verifyImageBundle(bundle, publicKey, digest, { manifest: Buffer.from('manifest') });
      });
    }
    const referrer = buildBundleReferrer({ bundle: dsse, subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 8, digest }, content: 'dsse-envelope' });
    expectOnlyClearErrors('parseBundleReferrer', mutations(referrer.manifest.bytes, N, 10), parseBundleReferrer);
  });

  it('public keys, certificates and the encrypted key container', async () => {
    const pem = Buffer.from(publicKeyToPem(publicKey));
    expectOnlyClearErrors('loadPublicKey', mutations(pem, N, 11), (p) => loadPublicKey(p));
    expectOnlyClearErrors('publicKeyFromCertificate', mutations(pem, 200, 12), (p) => publicKeyFromCertificate(p));
    // Decryption runs scrypt for every input that parses: fewer mutations, the cheapest parameters.
    const encrypted = await encryptWithPassword(Buffer.from('secret'), 'pw', { params: SCRYPT_PARAMETER_SETS.legacy });
    for (const input of mutations(encrypted, 40, 13)) {
      await decryptWithPassword(input, 'pw', 'cosign.key').catch((error: unknown) => {
        if (!(error instanceof SigningFormatError)) throw error;
      });
    }
  });
});
