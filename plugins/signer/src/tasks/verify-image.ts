import { BadInputError, defineTask } from '@bulkhead/plugin-sdk';
import { loadPublicKey, publicKeyFromCertificate } from '@bulkhead/signing';
import { LocalKeyProvider } from '../keys/local-key-provider';
import { masterKeyFrom } from '../keys/master-key';
import { publicKeyFingerprint } from '../keys/fingerprint';
import { verifyImageSignatures, type VerifyImageResult } from '../flows/verify-image';
import type { Verifier } from '../flows/verifiers';
import { SignatureRecords } from '../store/signature-records';
import { formatErrorsArePermanent } from './permanent-errors';
import { withRegistryClient } from './registry-access';
import { VERIFY_IMAGE, verifyImageInput } from './task-inputs';

/**
 * `verify-image` (kind signer): finds the image's cosign signatures (legacy tag and bundle
 * referrers) and attestations, and checks each with the given key or certificate, or the team's server keys; on a
 * worker every verdict is recorded. The task succeeds with `verified: false` when no valid
 * signature is found (the answer, not a failure of the task).
 */
export const verifyImageTask = defineTask({
  type: VERIFY_IMAGE,
  description: "Verifies the cosign signatures and attestations of an image in a registry (with a public key, a certificate or the team's server keys) and records every verdict",
  input: verifyImageInput,
  run: (input, ctx) => formatErrorsArePermanent(async (): Promise<VerifyImageResult> => {
    const verifiers: Verifier[] = [];
    if (input.publicKey) {
      const publicKey = loadPublicKey(input.publicKey, 'publicKey');
      verifiers.push({ name: `key:${publicKeyFingerprint(publicKey)}`, publicKey, identity: `key:${publicKeyFingerprint(publicKey)}` });
    }
    if (input.certificate) {
      const cert = publicKeyFromCertificate(input.certificate, 'certificate');
      verifiers.push({ name: `cert:${publicKeyFingerprint(cert.publicKey)}`, publicKey: cert.publicKey, identity: cert.certificate.subject });
    }
    if (ctx.platform && verifiers.length === 0) {
      const provider = new LocalKeyProvider(ctx.platform.database, ctx.platform.team, () => masterKeyFrom(process.env));
      const keys = input.keyIds?.length ? await Promise.all(input.keyIds.map((id) => provider.find(id))) : await provider.list();
      for (const [index, key] of keys.entries()) {
        if (!key) throw new BadInputError(`keyIds.${index}: no signing key ${input.keyIds?.[index]} in this team`);
        const publicKey = loadPublicKey(key.publicKeyPem, `signing key ${key.name}`);
        verifiers.push({ name: `key:${key.fingerprint}`, publicKey, identity: `key:${key.fingerprint} (${key.name})` });
      }
    }
    if (verifiers.length === 0) throw new BadInputError('nothing to verify with: give publicKey or certificate (or create a signing key in this team)');
    ctx.progress(0.1, `resolving ${input.ref}`);
    const result = await withRegistryClient(ctx, (client) => verifyImageSignatures(client, input.ref, verifiers, { attestations: true }), process.env, input.ref);
    if (ctx.platform) {
      const records = new SignatureRecords(ctx.platform.database, ctx.platform.team);
      await records.recordSignatures(result.checks, ctx.taskId);
      await records.recordAttestations(result.attestations, ctx.taskId);
    }
    ctx.progress(1, result.verified ? `valid signature over ${result.digest}` : `no valid signature over ${result.digest}`);
    return result;
  }),
});
