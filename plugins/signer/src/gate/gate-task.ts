import { readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { BadInputError, type TaskContext } from '@bulkhead/plugin-sdk';
import { loadPublicKey } from '@bulkhead/signing';
import { providerSigner } from '../flows/image-signer';
import { signImageFormats } from '../flows/sign-image';
import type { Verifier } from '../flows/verifiers';
import { verifyImageSignatures } from '../flows/verify-image';
import { publicKeyFingerprint } from '../keys/fingerprint';
import { LocalKeyProvider } from '../keys/local-key-provider';
import { masterKeyFrom } from '../keys/master-key';
import { SignatureRecords } from '../store/signature-records';
import { withRegistryClient } from '../tasks/registry-access';
import type { SignerCheck } from './evaluate';
import { ImageChangedError, pinScannedImage } from './pin-image';
import { createPromoteImageTask, type GateImage, type GateSigning } from './promote-image';

/** Largest public key file a required signer names inline. */
const MAX_PUBLIC_KEY_BYTES = 64 * 1024;

/**
 * The gate's signing through the signer plugin's own flows. On a worker: the team's server key
 * (`keyId`) signs, the signatures are recorded like sign-image's, and required signers are the
 * team's keys (by id or name). Inline the task never signs (the CLI signs with `--key FILE`
 * after a PASS, with the same pinning), and required signers are public key files (cosign.pub).
 * Either way only the image the scan saw is signed or counts as signed (pinScannedImage).
 */
export const gateSigning: GateSigning = {
  async sign(image, keyId, ctx) {
    const platform = ctx.platform;
    if (!platform) return { notSigned: 'inline, `bulkhead gate --key FILE` signs a passing image' };
    if (!keyId) return { notSigned: 'no keyId given' };
    const provider = new LocalKeyProvider(platform.database, platform.team, () => masterKeyFrom(process.env));
    const key = await provider.find(keyId);
    // Recorded as the reason, not a failed task: the decision itself stands.
    if (!key) return { notSigned: `keyId: no signing key ${keyId} in this team` };
    const signer = providerSigner(provider, key.id, loadPublicKey(key.publicKeyPem, `signing key ${key.name}`));
    try {
      const result = await withRegistryClient(ctx, async (client) => signImageFormats(client, (await pinScannedImage(client, image.ref, image.imageId)).pinned, signer));
      await new SignatureRecords(platform.database, platform.team).recordSignatures(result.checks, ctx.taskId);
      const first = result.written[0];
      if (!first) return { notSigned: 'the signer wrote no signature' };
      return { signatureId: first.signatureDigest };
    } catch (error) {
      if (error instanceof ImageChangedError || error instanceof BadInputError) return { notSigned: error.message };
      throw error;
    }
  },

  async checkSigners(image, signers, ctx) {
    const verifiers = ctx.platform ? await teamVerifiers(signers, ctx) : await fileVerifiers(signers);
    return withRegistryClient(ctx, async (client) => {
      const { pinned } = await pinScannedImage(client, image.ref, image.imageId);
      const result = await verifyImageSignatures(client, pinned, [...verifiers.values()]);
      return signerCheck(signers, verifiers, result.checks, result.reason);
    });
  },
};

/**
 * The team's keys named by the policy, by id, name or `key:<fingerprint>` (an unknown one
 * cannot sign: it fails its rule).
 */
async function teamVerifiers(signers: readonly string[], ctx: TaskContext): Promise<Map<string, Verifier>> {
  const platform = ctx.platform as NonNullable<TaskContext['platform']>;
  const provider = new LocalKeyProvider(platform.database, platform.team, () => masterKeyFrom(process.env));
  const verifiers = new Map<string, Verifier>();
  const byFingerprint = signers.some((s) => s.startsWith('key:')) ? await provider.list() : [];
  for (const signer of signers) {
    const key = signer.startsWith('key:') ? byFingerprint.find((k) => `key:${k.fingerprint}` === signer) : await provider.find(signer);
    if (key) verifiers.set(signer, verifierOf(loadPublicKey(key.publicKeyPem, `signing key ${key.name}`)));
  }
  return verifiers;
}

/** Inline: each required signer is a public key file. */
async function fileVerifiers(signers: readonly string[]): Promise<Map<string, Verifier>> {
  const verifiers = new Map<string, Verifier>();
  for (const signer of signers) {
    let pem: Buffer;
    try {
      pem = await readFile(signer);
    } catch (error) {
      throw new BadInputError(`requiredSigners: ${signer}: inline, a required signer is a public key file (cosign.pub); cannot read it: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    if (pem.length > MAX_PUBLIC_KEY_BYTES) throw new BadInputError(`requiredSigners: ${signer}: larger than ${MAX_PUBLIC_KEY_BYTES} bytes: not a public key`);
    verifiers.set(signer, verifierOf(loadPublicKey(pem, signer)));
  }
  return verifiers;
}

function verifierOf(publicKey: KeyObject): Verifier {
  const name = `key:${publicKeyFingerprint(publicKey)}`;
  return { name, publicKey, identity: name };
}

function signerCheck(
  signers: readonly string[],
  verifiers: ReadonlyMap<string, Verifier>,
  checks: readonly { verifier: string; valid: boolean; reason: string | null }[],
  reason: string | null,
): SignerCheck {
  const satisfied: string[] = [];
  const missing: Record<string, string> = {};
  for (const signer of signers) {
    const verifier = verifiers.get(signer);
    if (!verifier) {
      missing[signer] = 'no such signing key in this team';
      continue;
    }
    const mine = checks.filter((c) => c.verifier === verifier.name);
    if (mine.some((c) => c.valid)) satisfied.push(signer);
    else missing[signer] = mine.find((c) => c.reason)?.reason ?? reason ?? 'no signature by this key';
  }
  return { satisfied, missing };
}

/** `promote-image` with the signer plugin's signing (registered in plugin.ts). */
export const gateTask = createPromoteImageTask(gateSigning);

export type { GateImage };
