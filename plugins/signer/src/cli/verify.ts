import { EXIT_CODES, type CliHost } from '@bulkhead/plugin-sdk/cli';
import type { VerifyImageResult } from '../flows/verify-image';
import { verifyImageSignatures } from '../flows/verify-image';
import { loadVerifierFile } from './keys';
import { withCliRegistry } from './registry';

/** `--format` of verify and verify-attestation. */
export type VerifyFormat = 'text' | 'json';

/**
 * `bulkhead verify <ref> --key FILE|--cert FILE`: exit 0 only when a valid signature over the
 * image's digest is found; otherwise 1, with the reason for every signature found.
 */
export async function verifyWithKey(reference: string, options: { key?: string; cert?: string; format: VerifyFormat }, host: CliHost): Promise<number> {
  const verifier = await loadVerifierFile(options);
  const result = await host.interruptible((signal) => withCliRegistry(signal, (client) => verifyImageSignatures(client, reference, [verifier])));
  printVerification(result, options.format, host);
  return result.verified ? EXIT_CODES.ok : EXIT_CODES.failed;
}

/**
 * The report of `verify`, cosign keys and notation alike: one JSON shape (docs/schemas/verify.schema.json)
 * whatever the flags, so the attestations a key check may carry are not part of it.
 */
export function printVerification(result: Omit<VerifyImageResult, 'attestations'>, format: VerifyFormat, host: Pick<CliHost, 'out' | 'err'>): void {
  if (format === 'json') {
    const { reference, digest, verified, checks, reason } = result;
    host.out(JSON.stringify({ reference, digest, verified, checks, reason }, null, 2));
    return;
  }
  for (const check of result.checks) {
    const mark = check.valid ? 'valid' : 'INVALID';
    host.out(`${mark} ${check.format} ${check.signatureDigest} (${check.valid ? check.identity : check.verifier})${check.reason ? `: ${check.reason}` : ''}`);
  }
  if (result.verified) host.out(`verified ${result.reference}`);
  else host.err(`verification failed for ${result.reference}: ${result.reason}`);
}
