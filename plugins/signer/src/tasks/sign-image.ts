import { defineTask, BadInputError, type TaskContext } from '@bulkhead/plugin-sdk';
import { loadPublicKey } from '@bulkhead/signing';
import { LocalKeyProvider } from '../keys/local-key-provider';
import { masterKeyFrom } from '../keys/master-key';
import { signImageFormats, type SignImageResult } from '../flows/sign-image';
import { providerSigner } from '../flows/image-signer';
import { SignatureRecords } from '../store/signature-records';
import { formatErrorsArePermanent } from './permanent-errors';
import { withRegistryClient } from './registry-access';
import { SIGN_IMAGE, signImageInput } from './task-inputs';

function requirePlatform(ctx: TaskContext) {
  if (!ctx.platform) throw new BadInputError(`${SIGN_IMAGE} signs with a server key on a Bulkhead worker; inline, use \`bulkhead sign <ref> --key cosign.key\``);
  return ctx.platform;
}

/**
 * `sign-image` (kind signer): signs the image's manifest digest with a server key of the task's
 * team, writes cosign's forms to the registry, and records the signatures (valid: the key that
 * made them verifies them over that digest).
 */
export const signImageTask = defineTask({
  type: SIGN_IMAGE,
  description: "Signs an image in a registry with a server-side key (cosign's legacy .sig tag and/or Sigstore bundle referrer) and records the signature",
  input: signImageInput,
  run: (input, ctx) => formatErrorsArePermanent(async (): Promise<SignImageResult> => {
    const platform = requirePlatform(ctx);
    const provider = new LocalKeyProvider(platform.database, platform.team, () => masterKeyFrom(process.env));
    const key = await provider.find(input.keyId);
    if (!key) throw new BadInputError(`no signing key ${input.keyId} in team ${platform.team}`);
    const signer = providerSigner(provider, key.id, loadPublicKey(key.publicKeyPem, `signing key ${key.name}`));
    ctx.progress(0.1, `resolving ${input.ref}`);
    const options = { format: input.signatureFormat, ...(input.annotations ? { annotations: input.annotations } : {}) };
    const result = await withRegistryClient(ctx, (client) => signImageFormats(client, input.ref, signer, options));
    await new SignatureRecords(platform.database, platform.team).recordSignatures(result.checks, ctx.taskId);
    ctx.progress(1, `signed ${result.digest} (${result.written.map((w) => w.format).join(', ')})`);
    return result;
  }),
});
