import { CliError, EXIT_CODES, type CliHost } from '@bulkhead/plugin-sdk/cli';
import { attestationStatement, attestImage, predicateTypeOf, verifyAttestations } from '../flows/attestations';
import { localSigner } from '../flows/image-signer';
import { resolveImage } from '../flows/resolve';
import { readBoundedFile } from './files';
import { asCliError, loadSigningKeyFile, loadVerifierFile } from './keys';
import type { PasswordSource } from './password';
import { withCliRegistry } from './registry';
import type { VerifyFormat } from './verify';

/** A predicate is a JSON document (an SBOM at most): bounded like the attestation that carries it. */
const MAX_PREDICATE_BYTES = 16 * 1024 * 1024;

/**
 * `bulkhead attest <ref> --predicate FILE --type T --key cosign.key`: the predicate in an in-toto
 * statement over the image digest, signed in a DSSE envelope, attached in cosign's forms.
 */
export async function attest(
  reference: string,
  options: { predicate: string; type: string; key: string; signatureFormat?: 'legacy' | 'bundle' },
  host: CliHost,
  passwords: PasswordSource,
): Promise<number> {
  const predicateType = await asCliError(() => predicateTypeOf(options.type));
  const text = (await readBoundedFile(options.predicate, 'predicate', MAX_PREDICATE_BYTES)).toString('utf8');
  let predicate: unknown;
  try {
    predicate = JSON.parse(text);
  } catch (error) {
    throw new CliError(`predicate ${options.predicate}: not JSON (${(error as Error).message})`);
  }
  const key = await loadSigningKeyFile(options.key, passwords);
  const written = await host.interruptible((signal) =>
    withCliRegistry(signal, async (client) => {
      const image = await resolveImage(client, reference);
      const statement = await asCliError(() => attestationStatement(image, predicateType, predicate));
      return { image, written: await attestImage(client, image, localSigner(key.privateKey, key.publicKey), statement, options.signatureFormat ?? 'both') };
    }),
  );
  for (const w of written.written) host.out(`${w.format === 'cosign-legacy' ? 'attestation at tag' : 'attestation bundle referrer'} ${w.location} (${w.predicateType})`);
  host.out(`attested ${written.image.pinned}`);
  return EXIT_CODES.ok;
}

/**
 * `bulkhead verify-attestation <ref> --key FILE [--type T]`: exit 0 only when an attestation
 * (of that predicate type, when given) signed by the key covers the image digest.
 */
export async function verifyAttestation(reference: string, options: { key?: string; cert?: string; type?: string; format: VerifyFormat }, host: CliHost): Promise<number> {
  const predicateType = options.type ? await asCliError(() => predicateTypeOf(options.type as string)) : undefined;
  const verifier = await loadVerifierFile(options);
  const result = await host.interruptible((signal) =>
    withCliRegistry(signal, async (client) => {
      const image = await resolveImage(client, reference);
      const checks = await verifyAttestations(client, image, [verifier], predicateType);
      const verified = checks.some((c) => c.valid);
      const reason = verified ? null : checks.length === 0 ? `no attestations found for ${image.digest}` : `no attestation${predicateType ? ` of type ${predicateType}` : ''} verifies over this digest`;
      return { reference: image.pinned, digest: image.digest, predicateType: predicateType ?? null, verified, checks, reason };
    }),
  );
  if (options.format === 'json') host.out(JSON.stringify(result, null, 2));
  else {
    for (const c of result.checks) host.out(`${c.valid ? 'valid' : 'INVALID'} ${c.format} ${c.predicateType ?? '(no predicate type)'} ${c.attestationDigest}${c.reason ? `: ${c.reason}` : ''}`);
    if (result.verified) host.out(`verified attestation of ${result.reference}`);
    else host.err(`attestation verification failed for ${result.reference}: ${result.reason}`);
  }
  return result.verified ? EXIT_CODES.ok : EXIT_CODES.failed;
}
