import { CliError, type CliHost } from '@bulkhead/plugin-sdk/cli';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { localSigner } from '../../flows/image-signer';
import { signImageFormats } from '../../flows/sign-image';
import { loadSigningKeyFile } from '../../cli/keys';
import { defaultPasswordSource } from '../../cli/password';
import { withCliRegistry } from '../../cli/registry';
import { ImageChangedError, pinScannedImage } from '../pin-image';
import type { PromotionDecision } from '../promote-image';

/**
 * `bulkhead gate --key FILE` after a PASS: signs the image the gate scanned, like `bulkhead sign`
 * (cosign's key file, COSIGN_PASSWORD), but over the digest pinned to the scanned image id, so a
 * tag moved since the scan is refused rather than signed. Returns the decision with the outcome.
 */
export async function signPassingImage(decision: PromotionDecision, keyFile: string, host: CliHost): Promise<PromotionDecision> {
  if (decision.decision !== 'PASS' || !decision.digest) return decision;
  const key = await loadSigningKeyFile(keyFile, defaultPasswordSource());
  try {
    const result = await host.interruptible((signal) =>
      withCliRegistry(signal, async (client) => signImageFormats(client, (await pinScannedImage(client, decision.ref, decision.digest as string)).pinned, localSigner(key.privateKey, key.publicKey))),
    );
    const first = result.written[0];
    if (!first) return { ...decision, notSignedReason: 'the signer wrote no signature' };
    return { ...decision, signed: true, signatureId: first.signatureDigest, notSignedReason: null };
  } catch (error) {
    if (error instanceof ImageChangedError) throw new CliError(`not signed: ${error.message}`);
    if (error instanceof BadInputError) throw new CliError(`not signed: ${error.message}`);
    throw error;
  }
}
