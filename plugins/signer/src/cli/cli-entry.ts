import type { Command } from 'commander';
import { definePluginCli, usageError, type CliHost } from '@bulkhead/plugin-sdk/cli';
import { gateCommand } from '../gate/cli/gate-command';

// `@bulkhead/plugin-signer/cli`: keygen, sign, verify, attest, verify-attestation, gate. Every action
// imports its implementation (crypto, registry client) when it runs, so `bulkhead --help` loads
// none of it. No command declares --output or --quiet: the host adds them (report to a file,
// notices dropped) as for every command.

const SIGNATURE_FORMATS = ['legacy', 'bundle'] as const;
const ENVELOPE_TYPES = ['jws', 'cose'] as const;
// `-f, --format`, as every command: the report goes to standard output, or to the host's --output FILE.
const FORMATS = ['text', 'json'] as const;

function oneOf<T extends string>(option: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw usageError(`${option} ${JSON.stringify(value)}: expected ${allowed.join(' or ')}`);
  return value as T;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function registerKeygen(command: Command, host: CliHost): void {
  command
    .option('--output-key-prefix <prefix>', 'file name prefix of the pair: <prefix>.key and <prefix>.pub', 'cosign')
    .action(async (options: { outputKeyPrefix: string }) => {
      const [{ keygen }, { defaultPasswordSource }] = await Promise.all([import('./keygen'), import('./password')]);
      host.exit(await keygen(options.outputKeyPrefix, host, defaultPasswordSource()));
    });
}

interface RawSignOptions {
  key?: string;
  signatureFormat?: string;
  annotations?: string[];
  notation?: boolean;
  cert?: string;
  envelopeType?: string;
}

function registerSign(command: Command, host: CliHost): void {
  command
    .argument('<ref>', 'image in a registry: host[:port]/repository(:tag|@sha256:...); a tag is resolved and its digest signed')
    .requiredOption('--key <file>', 'cosign.key (password from COSIGN_PASSWORD, or asked on a terminal); with --notation, the PEM private key')
    .option('--signature-format <format>', `write only one of cosign's forms: ${SIGNATURE_FORMATS.join(' (the .sig tag) or ')} (a Sigstore bundle v0.3 referrer); default both`)
    .option('-a, --annotations <key=value>', 'claim in the signed payload (repeat -a)', collect)
    .option('--notation', 'sign as the Notary Project does (JWS or COSE envelope referrer) with --key and --cert')
    .option('--cert <file>', 'with --notation: the signing certificate chain, PEM, leaf first')
    .option('--envelope-type <type>', `with --notation: ${ENVELOPE_TYPES.join(' or ')}`, 'jws')
    .action(async (ref: string, options: RawSignOptions) => {
      const signatureFormat = oneOf('--signature-format', options.signatureFormat, SIGNATURE_FORMATS);
      const envelopeType = oneOf('--envelope-type', options.envelopeType, ENVELOPE_TYPES) ?? 'jws';
      const key = options.key as string;
      if (options.notation) {
        if (!options.cert) throw usageError('--notation needs --cert FILE (the certificate chain of --key)');
        if (signatureFormat || options.annotations?.length) throw usageError('--signature-format and -a are for cosign signatures, not with --notation');
        const { signWithNotation } = await import('./notation');
        host.exit(await signWithNotation(ref, { key, cert: options.cert, envelopeType }, host));
        return;
      }
      if (options.cert) throw usageError('--cert signs only with --notation');
      const [{ signWithCosignKey, parseAnnotations }, { defaultPasswordSource }] = await Promise.all([import('./sign'), import('./password')]);
      const annotations = parseAnnotations(options.annotations ?? []);
      host.exit(await signWithCosignKey(ref, { key, annotations, ...(signatureFormat ? { signatureFormat } : {}) }, host, defaultPasswordSource()));
    });
}

interface RawVerifyOptions {
  key?: string;
  cert?: string;
  notation?: boolean;
  trustPolicy?: string;
  trustStore?: string;
  format?: string;
}

function registerVerify(command: Command, host: CliHost): void {
  command
    .argument('<ref>', 'image in a registry; a tag is resolved and the signatures over its digest are checked')
    .option('--key <file>', 'public key (cosign.pub, PEM)')
    .option('--cert <file>', 'certificate (PEM) whose public key verifies')
    .option('--notation', "verify Notary Project signatures with notation's --trust-policy and --trust-store")
    .option('--trust-policy <file>', 'with --notation: trustpolicy.json')
    .option('--trust-store <dir>', 'with --notation: the trust store folder (x509/{ca,signingAuthority,tsa}/<name>/*.pem)')
    .option('-f, --format <format>', `${FORMATS.join(' or ')}: json lists every signature checked and the verdict (docs/schemas/verify.schema.json)`, 'text')
    .action(async (ref: string, options: RawVerifyOptions) => {
      const format = oneOf('--format', options.format, FORMATS) ?? 'text';
      if (options.notation) {
        if (!options.trustPolicy || !options.trustStore) throw usageError('--notation needs --trust-policy FILE and --trust-store DIR');
        const { verifyWithNotation } = await import('./notation');
        host.exit(await verifyWithNotation(ref, { trustPolicy: options.trustPolicy, trustStore: options.trustStore, format }, host));
        return;
      }
      if (!options.key === !options.cert) throw usageError('give one of --key FILE or --cert FILE');
      const { verifyWithKey } = await import('./verify');
      host.exit(await verifyWithKey(ref, { ...(options.key ? { key: options.key } : {}), ...(options.cert ? { cert: options.cert } : {}), format }, host));
    });
}

function registerAttest(command: Command, host: CliHost): void {
  command
    .argument('<ref>', 'image in a registry; a tag is resolved and the statement names its digest')
    .requiredOption('--predicate <file>', 'the predicate, JSON (a CycloneDX SBOM, a vulnerability report, a SLSA provenance ...)')
    .requiredOption('--type <type>', 'cyclonedx, spdxjson, vuln, slsaprovenance (v0.2), slsaprovenance1, custom, or a predicate type URI')
    .requiredOption('--key <file>', 'cosign.key (password from COSIGN_PASSWORD, or asked on a terminal)')
    .option('--signature-format <format>', `write only one of cosign's forms: ${SIGNATURE_FORMATS.join(' (the .att tag) or ')} (a Sigstore bundle referrer); default both`)
    .action(async (ref: string, options: { predicate: string; type: string; key: string; signatureFormat?: string }) => {
      const signatureFormat = oneOf('--signature-format', options.signatureFormat, SIGNATURE_FORMATS);
      const [{ attest }, { defaultPasswordSource }] = await Promise.all([import('./attest'), import('./password')]);
      host.exit(await attest(ref, { predicate: options.predicate, type: options.type, key: options.key, ...(signatureFormat ? { signatureFormat } : {}) }, host, defaultPasswordSource()));
    });
}

function registerVerifyAttestation(command: Command, host: CliHost): void {
  command
    .argument('<ref>', 'image in a registry; a tag is resolved and attestations over its digest are checked')
    .option('--key <file>', 'public key (cosign.pub, PEM)')
    .option('--cert <file>', 'certificate (PEM) whose public key verifies')
    .option('--type <type>', 'only attestations of this predicate type (cosign name or URI)')
    .option('-f, --format <format>', `${FORMATS.join(' or ')}: json lists every attestation checked and the verdict (docs/schemas/verify-attestation.schema.json)`, 'text')
    .action(async (ref: string, options: { key?: string; cert?: string; type?: string; format?: string }) => {
      const format = oneOf('--format', options.format, FORMATS) ?? 'text';
      if (!options.key === !options.cert) throw usageError('give one of --key FILE or --cert FILE');
      const { verifyAttestation } = await import('./attest');
      host.exit(
        await verifyAttestation(ref, { ...(options.key ? { key: options.key } : {}), ...(options.cert ? { cert: options.cert } : {}), ...(options.type ? { type: options.type } : {}), format }, host),
      );
    });
}

export default definePluginCli({
  commands: [
    { name: 'keygen', description: "write a key pair in cosign's format: cosign.key (encrypted with COSIGN_PASSWORD) and cosign.pub", register: registerKeygen },
    { name: 'sign', description: "sign an image's manifest digest in a registry (cosign's .sig tag and Sigstore bundle, or --notation)", register: registerSign },
    { name: 'attest', description: 'attach a signed in-toto attestation (SBOM, vulnerability report, SLSA provenance ...) to an image in a registry', register: registerAttest },
    { name: 'verify-attestation', description: "verify an image's attestations (exit 0 only when one signed by the key covers its digest)", register: registerVerifyAttestation },
    { name: 'verify', description: 'verify the signatures of an image in a registry (exit 0 only when a valid one covers its digest)', register: registerVerify },
    // The promotion gate (plugins/signer/src/gate/cli).
    gateCommand,
  ],
});
