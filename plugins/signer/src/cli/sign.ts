import { CliError, EXIT_CODES, type CliHost } from '@bulkhead/plugin-sdk/cli';
import { localSigner } from '../flows/image-signer';
import { signImageFormats } from '../flows/sign-image';
import { loadSigningKeyFile } from './keys';
import type { PasswordSource } from './password';
import { withCliRegistry } from './registry';

export interface CosignSignOptions {
  key: string;
  signatureFormat?: 'legacy' | 'bundle';
  annotations: Record<string, string>;
}

/** `-a key=value` pairs (cosign's annotations), each key once. */
export function parseAnnotations(pairs: readonly string[]): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError(`-a ${JSON.stringify(pair)}: expected key=value`, EXIT_CODES.usage);
    const key = pair.slice(0, at);
    if (key in annotations) throw new CliError(`-a ${key}: given twice`, EXIT_CODES.usage);
    annotations[key] = pair.slice(at + 1);
  }
  return annotations;
}

/** `bulkhead sign <ref> --key cosign.key`: resolves the tag, signs the digest, writes cosign's forms. */
export async function signWithCosignKey(reference: string, options: CosignSignOptions, host: CliHost, passwords: PasswordSource): Promise<number> {
  const key = await loadSigningKeyFile(options.key, passwords);
  const result = await host.interruptible((signal) =>
    withCliRegistry(signal, (client) =>
      signImageFormats(client, reference, localSigner(key.privateKey, key.publicKey), {
        format: options.signatureFormat ?? 'both',
        annotations: options.annotations,
      }),
    ),
  );
  for (const written of result.written) {
    host.out(`${written.format === 'cosign-legacy' ? 'legacy signature at tag' : 'bundle referrer'} ${written.location} (signature ${written.signatureDigest})`);
  }
  host.out(`signed ${result.reference}`);
  return EXIT_CODES.ok;
}
