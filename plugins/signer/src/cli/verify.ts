import { EXIT_CODES, type CliHost } from '@bulkhead/plugin-sdk/cli';
import type { VerifyImageResult } from '../flows/verify-image';
import { verifyImageSignatures } from '../flows/verify-image';
import { loadVerifierFile } from './keys';
import { withCliRegistry } from './registry';

export type VerifyOutput = 'text' | 'json';

/**
 * `bulkhead verify <ref> --key FILE|--cert FILE`: exit 0 only when a valid signature over the
 * image's digest is found; otherwise 1, with the reason for every signature found.
 */
export async function verifyWithKey(reference: string, options: { key?: string; cert?: string; output: VerifyOutput }, host: CliHost): Promise<number> {
  const verifier = await loadVerifierFile(options);
  const result = await host.interruptible((signal) => withCliRegistry(signal, (client) => verifyImageSignatures(client, reference, [verifier])));
  printVerification(result, options.output, host);
  return result.verified ? EXIT_CODES.ok : EXIT_CODES.failed;
}

export function printVerification(result: Omit<VerifyImageResult, 'attestations'>, output: VerifyOutput, host: Pick<CliHost, 'out' | 'err'>): void {
  if (output === 'json') {
    host.out(JSON.stringify(result, null, 2));
    return;
  }
  for (const check of result.checks) {
    const mark = check.valid ? 'valid' : 'INVALID';
    host.out(`${mark} ${check.format} ${check.signatureDigest} (${check.valid ? check.identity : check.verifier})${check.reason ? `: ${check.reason}` : ''}`);
  }
  if (result.verified) host.out(`verified ${result.reference}`);
  else host.err(`verification failed for ${result.reference}: ${result.reason}`);
}
