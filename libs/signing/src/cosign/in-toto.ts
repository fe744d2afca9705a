import { isRecord, LIMITS, parseJson, requireDigest } from './bounded';
import { SigningFormatError } from './errors';

/** in-toto statement types: v1 is written; v0.1 (older cosign attest) is read too. */
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const IN_TOTO_STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export const PREDICATE_TYPES = {
  /** cosign v3 `sign --new-bundle-format`: a signature expressed as an attestation. */
  cosignSign: 'https://sigstore.dev/cosign/sign/v1',
  cyclonedx: 'https://cyclonedx.org/bom',
  spdx: 'https://spdx.dev/Document',
  cosignVuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  cosignCustom: 'https://cosign.sigstore.dev/attestation/v1',
  slsaProvenanceV1: 'https://slsa.dev/provenance/v1',
  slsaProvenanceV02: 'https://slsa.dev/provenance/v0.2',
} as const;

export interface InTotoSubject {
  name?: string;
  digest: Record<string, string>;
  annotations?: Record<string, unknown>;
}

export interface InTotoStatement {
  _type: string;
  subject: InTotoSubject[];
  predicateType: string;
  predicate: unknown;
}

/** The subject of an image: `sha256` digest hex, named by its repository (cosign uses the repo). */
export function imageSubject(imageDigest: string, name?: string, annotations?: Record<string, unknown>): InTotoSubject {
  requireDigest(imageDigest, 'image digest');
  const [algorithm, hex] = imageDigest.split(':');
  // Built in this order so JSON.stringify writes name, digest, annotations as in-toto does.
  const subject = (name !== undefined ? { name, digest: { [algorithm]: hex } } : { digest: { [algorithm]: hex } }) as InTotoSubject;
  if (annotations !== undefined) subject.annotations = annotations;
  return subject;
}

/** An in-toto Statement v1 (field order of the in-toto spec: _type, subject, predicateType, predicate). */
export function buildStatement(subjects: InTotoSubject[], predicateType: string, predicate: unknown): InTotoStatement {
  if (subjects.length === 0) throw new SigningFormatError('in-toto statement: at least one subject is required');
  if (typeof predicateType !== 'string' || predicateType.length === 0) throw new SigningFormatError('in-toto statement: predicateType is required');
  return { _type: IN_TOTO_STATEMENT_V1, subject: subjects, predicateType, predicate };
}

export function statementBytes(statement: InTotoStatement): Buffer {
  return Buffer.from(JSON.stringify(statement));
}

/**
 * The statement cosign v3 signs for `cosign sign --new-bundle-format`: the image digest as the
 * only subject (its `-a` annotations on the subject), predicate type
 * https://sigstore.dev/cosign/sign/v1 and an empty predicate.
 */
export function cosignSignStatement(imageDigest: string, annotations: Record<string, unknown> = {}): InTotoStatement {
  return buildStatement([imageSubject(imageDigest, undefined, annotations)], PREDICATE_TYPES.cosignSign, {});
}

/** A CycloneDX SBOM as predicate: cosign puts the BOM document itself there. */
export function cycloneDxStatement(imageDigest: string, repository: string, bom: unknown): InTotoStatement {
  if (!isRecord(bom) || bom.bomFormat !== 'CycloneDX') throw new SigningFormatError('CycloneDX predicate: expected a CycloneDX JSON document (bomFormat "CycloneDX")');
  return buildStatement([imageSubject(imageDigest, repository)], PREDICATE_TYPES.cyclonedx, bom);
}

export interface VulnReportInput {
  scanner: { uri: string; version: string; db?: { uri?: string; version?: string }; result: unknown };
  scanStartedOn: Date | string;
  scanFinishedOn: Date | string;
  invocation?: { parameters?: unknown; uri?: string; eventId?: string; builderId?: string };
}

/**
 * cosign's vulnerability scan record (`cosign attest --type vuln`): the predicate as cosign's Go
 * struct CosignVulnPredicate serializes it (invocation, scanner{uri, version, db, result},
 * metadata{scanStartedOn, scanFinishedOn}).
 */
export function vulnReportStatement(imageDigest: string, repository: string, input: VulnReportInput): InTotoStatement {
  const predicate = {
    invocation: {
      parameters: input.invocation?.parameters ?? null,
      uri: input.invocation?.uri ?? '',
      event_id: input.invocation?.eventId ?? '',
      'builder.id': input.invocation?.builderId ?? '',
    },
    scanner: {
      uri: input.scanner.uri,
      version: input.scanner.version,
      db: { uri: input.scanner.db?.uri ?? '', version: input.scanner.db?.version ?? '' },
      result: input.scanner.result,
    },
    metadata: { scanStartedOn: isoTime(input.scanStartedOn, 'scanStartedOn'), scanFinishedOn: isoTime(input.scanFinishedOn, 'scanFinishedOn') },
  };
  return buildStatement([imageSubject(imageDigest, repository)], PREDICATE_TYPES.cosignVuln, predicate);
}

export interface SlsaProvenanceInput {
  buildType: string;
  externalParameters: Record<string, unknown>;
  internalParameters?: Record<string, unknown>;
  resolvedDependencies?: Array<{ uri?: string; digest?: Record<string, string>; name?: string }>;
  builderId: string;
  builderVersion?: Record<string, string>;
  invocationId?: string;
  startedOn?: Date | string;
  finishedOn?: Date | string;
  byproducts?: Array<Record<string, unknown>>;
}

/** A SLSA provenance v1 predicate (buildDefinition + runDetails, per slsa.dev/provenance/v1). */
export function slsaProvenanceStatement(imageDigest: string, repository: string, input: SlsaProvenanceInput): InTotoStatement {
  if (!input.buildType) throw new SigningFormatError('SLSA provenance: buildType is required');
  if (!input.builderId) throw new SigningFormatError('SLSA provenance: runDetails.builder.id is required');
  const buildDefinition: Record<string, unknown> = { buildType: input.buildType, externalParameters: input.externalParameters };
  if (input.internalParameters) buildDefinition.internalParameters = input.internalParameters;
  if (input.resolvedDependencies) buildDefinition.resolvedDependencies = input.resolvedDependencies;
  const builder: Record<string, unknown> = { id: input.builderId };
  if (input.builderVersion) builder.version = input.builderVersion;
  const metadata: Record<string, unknown> = {};
  if (input.invocationId) metadata.invocationId = input.invocationId;
  if (input.startedOn) metadata.startedOn = isoTime(input.startedOn, 'startedOn');
  if (input.finishedOn) metadata.finishedOn = isoTime(input.finishedOn, 'finishedOn');
  const runDetails: Record<string, unknown> = { builder, metadata };
  if (input.byproducts) runDetails.byproducts = input.byproducts;
  return buildStatement([imageSubject(imageDigest, repository)], PREDICATE_TYPES.slsaProvenanceV1, { buildDefinition, runDetails });
}

function isoTime(value: Date | string, what: string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new SigningFormatError(`${what}: not a valid time`);
  // Go's time.Time marshals RFC 3339 with as many fraction digits as needed; whole seconds as "Z".
  return date.toISOString().replace('.000Z', 'Z');
}

/** Parses an in-toto statement (v1 or v0.1) with bounds and shape checks. */
export function parseStatement(bytes: Uint8Array, what = 'in-toto statement'): InTotoStatement {
  const doc = parseJson(bytes, what, LIMITS.payloadBytes);
  if (!isRecord(doc)) throw new SigningFormatError(`${what}: expected a JSON object`);
  if (doc._type !== IN_TOTO_STATEMENT_V1 && doc._type !== IN_TOTO_STATEMENT_V01) throw new SigningFormatError(`${what}: _type ${JSON.stringify(doc._type)} is not an in-toto statement`);
  if (typeof doc.predicateType !== 'string' || doc.predicateType.length === 0) throw new SigningFormatError(`${what}: predicateType must be a non-empty string`);
  if (!Array.isArray(doc.subject) || doc.subject.length === 0) throw new SigningFormatError(`${what}: subject must be a non-empty array`);
  if (doc.subject.length > 1024) throw new SigningFormatError(`${what}: more than 1024 subjects`);
  const subject = doc.subject.map((s, i) => {
    if (!isRecord(s) || !isRecord(s.digest)) throw new SigningFormatError(`${what}: subject[${i}].digest must be an object`);
    const digest: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.digest)) {
      if (typeof v !== 'string') throw new SigningFormatError(`${what}: subject[${i}].digest.${k} must be a string`);
      digest[k] = v;
    }
    const out: InTotoSubject = { digest };
    if (typeof s.name === 'string') out.name = s.name;
    if (isRecord(s.annotations)) out.annotations = s.annotations;
    return out;
  });
  return { _type: doc._type, subject, predicateType: doc.predicateType, predicate: doc.predicate };
}

export type StatementCheck = { ok: true } | { ok: false; reason: 'subject-mismatch' | 'predicate-type-mismatch'; message: string };

/**
 * The checks cosign's verify-attestation makes on a verified statement: one subject carries the
 * image digest, and the predicate type is the one asked for (when asked).
 */
export function checkStatement(statement: InTotoStatement, imageDigest: string, predicateType?: string): StatementCheck {
  requireDigest(imageDigest, 'image digest');
  const [algorithm, hex] = imageDigest.split(':');
  if (!statement.subject.some((s) => s.digest[algorithm]?.toLowerCase() === hex)) {
    const seen = statement.subject.map((s) => Object.entries(s.digest).map(([a, h]) => `${a}:${h}`).join(',')).join('; ');
    return { ok: false, reason: 'subject-mismatch', message: `no subject of the statement has the image digest ${imageDigest} (subjects: ${seen.slice(0, 300)})` };
  }
  if (predicateType !== undefined && statement.predicateType !== predicateType) {
    return { ok: false, reason: 'predicate-type-mismatch', message: `predicate type is ${statement.predicateType}, expected ${predicateType}` };
  }
  return { ok: true };
}
