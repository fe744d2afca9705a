import type { PluginMigration } from '@bulkhead/plugin-sdk/api';

/*
 * The signer plugin's tables (team-scoped like every plugin table: `team` is part of each key).
 *   signer_key        server-side signing keys of the local provider: public key PEM, and the
 *                     PKCS#8 private key sealed with AES-256-GCM under BULKHEAD_SIGNER_MASTER_KEY
 *                     (never selected by the API's queries).
 *   signer_signature  every signature a sign or verify found for an image manifest digest, with
 *                     its verdict (valid, reason) at `checked_at`: the image's signature record.
 *   signer_attestation the same for attestations (in-toto statements in DSSE envelopes).
 * Records are keyed by what was checked (digest, format, signature digest, key): a new check of
 * the same signature with the same key replaces the verdict, so the table holds the latest one.
 */
export const signerMigrations: readonly PluginMigration[] = [
  {
    id: '0001-signer-tables',
    async up(db) {
      await db.query(`CREATE TABLE signer_key (
        team text NOT NULL,
        id uuid NOT NULL,
        name text NOT NULL,
        provider text NOT NULL,
        algorithm text NOT NULL,
        public_key_pem text NOT NULL,
        fingerprint text NOT NULL,
        sealed_private_key bytea,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (team, id),
        UNIQUE (team, name)
      )`);
      await db.query(`CREATE TABLE signer_signature (
        team text NOT NULL,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        image_digest text NOT NULL,
        reference text NOT NULL,
        format text NOT NULL,
        signature_digest text NOT NULL,
        verifier text NOT NULL,
        identity text,
        valid boolean NOT NULL,
        reason text,
        task_id uuid,
        checked_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (team, id),
        UNIQUE (team, image_digest, format, signature_digest, verifier)
      )`);
      await db.query(`CREATE TABLE signer_attestation (
        team text NOT NULL,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        image_digest text NOT NULL,
        reference text NOT NULL,
        format text NOT NULL,
        predicate_type text,
        attestation_digest text NOT NULL,
        verifier text NOT NULL,
        identity text,
        valid boolean NOT NULL,
        reason text,
        task_id uuid,
        checked_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (team, id),
        UNIQUE (team, image_digest, format, attestation_digest, verifier)
      )`);
      await db.query('CREATE INDEX "IDX_signer_signature_image" ON signer_signature (team, image_digest)');
      await db.query('CREATE INDEX "IDX_signer_attestation_image" ON signer_attestation (team, image_digest)');
    },
    async down(db) {
      await db.query('DROP TABLE IF EXISTS signer_attestation');
      await db.query('DROP TABLE IF EXISTS signer_signature');
      await db.query('DROP TABLE IF EXISTS signer_key');
    },
  },
];
