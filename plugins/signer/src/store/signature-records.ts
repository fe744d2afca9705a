import type { PluginDatabase } from '@bulkhead/plugin-sdk/api';

/** How a signature is carried: cosign's two forms and the Notary Project's two envelopes. */
export const SIGNATURE_FORMATS = ['cosign-legacy', 'cosign-bundle', 'notation-jws', 'notation-cose'] as const;
export type SignatureFormat = (typeof SIGNATURE_FORMATS)[number];

/** One signature found for an image manifest digest, and the verdict of one check of it. */
export interface SignatureCheck {
  /** The image manifest digest the signature was looked up for. */
  imageDigest: string;
  /** The reference checked (registry/repository@digest). */
  reference: string;
  format: SignatureFormat;
  /** Digest of what holds the signature (the legacy layer, the bundle or envelope blob). */
  signatureDigest: string;
  /** What it was checked with: `key:<fingerprint>`, `cert:<fingerprint>` or `trust-policy:<name>`. */
  verifier: string;
  /** Who signed, when known: the key's fingerprint or the certificate subject. */
  identity: string | null;
  valid: boolean;
  /** Why it is not valid (null when valid). */
  reason: string | null;
}

export interface AttestationCheck extends Omit<SignatureCheck, 'signatureDigest' | 'format'> {
  format: 'cosign-legacy' | 'cosign-bundle';
  attestationDigest: string;
  predicateType: string | null;
}

export interface SignatureRecord extends SignatureCheck {
  id: string;
  taskId: string | null;
  checkedAt: Date;
}

export interface AttestationRecord extends AttestationCheck {
  id: string;
  taskId: string | null;
  checkedAt: Date;
}

interface SignatureRow {
  id: string;
  image_digest: string;
  reference: string;
  format: SignatureFormat;
  signature_digest: string;
  verifier: string;
  identity: string | null;
  valid: boolean;
  reason: string | null;
  task_id: string | null;
  checked_at: Date;
}

interface AttestationRow extends Omit<SignatureRow, 'signature_digest' | 'format'> {
  format: AttestationCheck['format'];
  attestation_digest: string;
  predicate_type: string | null;
}

/**
 * The image's signature record in the plugin's tables, within one team. A check of the same
 * signature with the same verifier replaces the earlier verdict (the record holds the latest).
 */
export class SignatureRecords {
  constructor(
    private readonly db: Pick<PluginDatabase, 'query'>,
    private readonly team: string,
  ) {}

  async recordSignatures(checks: readonly SignatureCheck[], taskId: string | null): Promise<void> {
    for (const c of checks) {
      await this.db.query(
        `INSERT INTO signer_signature (team, image_digest, reference, format, signature_digest, verifier, identity, valid, reason, task_id, checked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
         ON CONFLICT (team, image_digest, format, signature_digest, verifier)
         DO UPDATE SET reference = EXCLUDED.reference, identity = EXCLUDED.identity, valid = EXCLUDED.valid, reason = EXCLUDED.reason, task_id = EXCLUDED.task_id, checked_at = EXCLUDED.checked_at`,
        [this.team, c.imageDigest, c.reference, c.format, c.signatureDigest, c.verifier, c.identity, c.valid, c.reason, taskId],
      );
    }
  }

  async recordAttestations(checks: readonly AttestationCheck[], taskId: string | null): Promise<void> {
    for (const c of checks) {
      await this.db.query(
        `INSERT INTO signer_attestation (team, image_digest, reference, format, predicate_type, attestation_digest, verifier, identity, valid, reason, task_id, checked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
         ON CONFLICT (team, image_digest, format, attestation_digest, verifier)
         DO UPDATE SET reference = EXCLUDED.reference, predicate_type = EXCLUDED.predicate_type, identity = EXCLUDED.identity, valid = EXCLUDED.valid, reason = EXCLUDED.reason, task_id = EXCLUDED.task_id, checked_at = EXCLUDED.checked_at`,
        [this.team, c.imageDigest, c.reference, c.format, c.predicateType, c.attestationDigest, c.verifier, c.identity, c.valid, c.reason, taskId],
      );
    }
  }

  /** Signatures recorded for any of these manifest digests, newest check first. */
  async signaturesOf(imageDigests: readonly string[]): Promise<SignatureRecord[]> {
    if (imageDigests.length === 0) return [];
    const rows = await this.db.query<SignatureRow>(
      'SELECT id, image_digest, reference, format, signature_digest, verifier, identity, valid, reason, task_id, checked_at FROM signer_signature WHERE team = $1 AND image_digest = ANY($2::text[]) ORDER BY checked_at DESC, id',
      [this.team, [...imageDigests]],
    );
    return rows.map((r) => ({
      id: r.id,
      imageDigest: r.image_digest,
      reference: r.reference,
      format: r.format,
      signatureDigest: r.signature_digest,
      verifier: r.verifier,
      identity: r.identity,
      valid: r.valid,
      reason: r.reason,
      taskId: r.task_id,
      checkedAt: r.checked_at,
    }));
  }

  async attestationsOf(imageDigests: readonly string[]): Promise<AttestationRecord[]> {
    if (imageDigests.length === 0) return [];
    const rows = await this.db.query<AttestationRow>(
      'SELECT id, image_digest, reference, format, predicate_type, attestation_digest, verifier, identity, valid, reason, task_id, checked_at FROM signer_attestation WHERE team = $1 AND image_digest = ANY($2::text[]) ORDER BY checked_at DESC, id',
      [this.team, [...imageDigests]],
    );
    return rows.map((r) => ({
      id: r.id,
      imageDigest: r.image_digest,
      reference: r.reference,
      format: r.format,
      predicateType: r.predicate_type,
      attestationDigest: r.attestation_digest,
      verifier: r.verifier,
      identity: r.identity,
      valid: r.valid,
      reason: r.reason,
      taskId: r.task_id,
      checkedAt: r.checked_at,
    }));
  }

  /** Of these manifest digests, those with at least one valid signature on record. */
  async signedDigests(imageDigests: readonly string[]): Promise<Set<string>> {
    if (imageDigests.length === 0) return new Set();
    const rows = await this.db.query<{ image_digest: string }>(
      'SELECT DISTINCT image_digest FROM signer_signature WHERE team = $1 AND valid AND image_digest = ANY($2::text[])',
      [this.team, [...imageDigests]],
    );
    return new Set(rows.map((r) => r.image_digest));
  }
}
