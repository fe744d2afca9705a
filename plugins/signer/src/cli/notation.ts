import { FileTrustStore, NotationError, parseTrustPolicy } from '@bulkhead/signing';
import { CliError, EXIT_CODES, type CliHost } from '@bulkhead/plugin-sdk/cli';
import { signNotationImage, verifyNotationImage } from '../flows/notation';
import { resolveImage } from '../flows/resolve';
import { MAX_KEY_FILE_BYTES, readBoundedFile } from './files';
import { withCliRegistry } from './registry';
import { printVerification, type VerifyFormat } from './verify';

const MAX_POLICY_BYTES = 1024 * 1024;

async function asCli<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof NotationError) throw new CliError(error.message);
    throw error;
  }
}

/** `bulkhead sign <ref> --notation --key key.pem --cert chain.pem [--envelope-type jws|cose]`. */
export async function signWithNotation(reference: string, options: { key: string; cert: string; envelopeType: 'jws' | 'cose' }, host: CliHost): Promise<number> {
  const key = await readBoundedFile(options.key, 'key', MAX_KEY_FILE_BYTES);
  const chain = (await readBoundedFile(options.cert, 'certificate chain', MAX_KEY_FILE_BYTES)).toString('utf8');
  const written = await host.interruptible((signal) =>
    withCliRegistry(signal, async (client) => {
      const image = await resolveImage(client, reference);
      const signature = await asCli(() => signNotationImage(client, image, { key, certificateChain: chain, envelopeType: options.envelopeType }));
      return { image, signature };
    }),
  );
  host.out(`${written.signature.format} signature manifest ${written.signature.location} (signed by ${written.signature.signer})`);
  host.out(`signed ${written.image.pinned}`);
  return EXIT_CODES.ok;
}

/** `bulkhead verify <ref> --notation --trust-policy trustpolicy.json --trust-store DIR`. */
export async function verifyWithNotation(reference: string, options: { trustPolicy: string; trustStore: string; format: VerifyFormat }, host: CliHost): Promise<number> {
  const policy = await asCli(async () => parseTrustPolicy(await readBoundedFile(options.trustPolicy, 'trust policy', MAX_POLICY_BYTES)));
  const store = new FileTrustStore(options.trustStore);
  const result = await host.interruptible((signal) =>
    withCliRegistry(signal, async (client) => {
      const image = await resolveImage(client, reference);
      const checks = await verifyNotationImage(client, image, policy, store);
      const verified = checks.some((c) => c.valid);
      return {
        reference: image.pinned,
        digest: image.digest,
        verified,
        checks,
        reason: verified ? null : checks.length === 0 ? `no Notary Project signatures found for ${image.digest}` : 'no signature verifies under the trust policy',
      };
    }),
  );
  printVerification(result, options.format, host);
  return result.verified ? EXIT_CODES.ok : EXIT_CODES.failed;
}
