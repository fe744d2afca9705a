import { BadInputError, MAX_SIGNATURE_DIGESTS, type ImageSignatureService, type ImageSignatureVerdict, type PluginServiceContext } from '@bulkhead/plugin-sdk';

/** A manifest digest as records hold them (what the signer resolves a reference to). */
const DIGEST = /^sha(256:[0-9a-f]{64}|384:[0-9a-f]{96}|512:[0-9a-f]{128})$/;

interface VerdictRow {
  image_digest: string;
  format: string;
  verifier: string;
  identity: string | null;
  valid: boolean;
  reason: string | null;
  checked_at: Date;
}

/**
 * The signer's `imageSignatures` service (SDK services.ts) over its `signer_signature` table,
 * for one team. The table already holds one row per (digest, format, signature, verifier) — a
 * new check replaces the verdict — so "the latest verdict" is every matching row, read with one
 * query on the (team, image_digest) index. Verifier strings are the record's own
 * (`key:<SPKI sha256 hex>` for keys), so a consumer matches a trusted key by its fingerprint.
 */
export function imageSignatureService({ database, team }: PluginServiceContext): ImageSignatureService {
  // Never "every team": a host that lost the caller's team must not get an answer at all.
  if (typeof team !== 'string' || team.length === 0) throw new Error('imageSignatures: no team to answer for');
  return {
    async forDigests(manifestDigests) {
      if (manifestDigests.length > MAX_SIGNATURE_DIGESTS) {
        throw new BadInputError(`imageSignatures.forDigests: ${manifestDigests.length} digests, at most ${MAX_SIGNATURE_DIGESTS} per call`);
      }
      manifestDigests.forEach((digest, index) => {
        if (typeof digest !== 'string' || !DIGEST.test(digest)) {
          throw new BadInputError(`imageSignatures.forDigests: digest ${index} (${JSON.stringify(String(digest).slice(0, 80))}) is not a manifest digest (sha256:<64 hex>)`);
        }
      });
      if (manifestDigests.length === 0) return [];
      const rows = await database.query<VerdictRow>(
        `SELECT image_digest, format, verifier, identity, valid, reason, checked_at FROM signer_signature
         WHERE team = $1 AND image_digest = ANY($2::text[]) ORDER BY image_digest, checked_at DESC, id`,
        [team, [...new Set(manifestDigests)]],
      );
      return rows.map(toVerdict);
    },
  };
}

function toVerdict(row: VerdictRow): ImageSignatureVerdict {
  return {
    manifestDigest: row.image_digest,
    format: row.format,
    verifier: row.verifier,
    identity: row.identity,
    valid: row.valid,
    reason: row.reason,
    checkedAt: new Date(row.checked_at).toISOString(),
  };
}
