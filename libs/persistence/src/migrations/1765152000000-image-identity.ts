import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One image, one row: artifacts are identified by their image id (config digest), and every
 * manifest digest an image is known by is kept in `manifest_digests`.
 *
 * Rows written before this migration were keyed by the manifest digest for OCI layouts (and
 * Docker 25+ archives) and by the config digest for legacy docker-archives; the scanner also
 * stored the config digest in `metadata.configDigest`. For each row whose `metadata.configDigest`
 * is a digest, that becomes its `digest` and the old digest (when different) moves into
 * `manifest_digests`. Rows without it (root file systems, rows of other producers) keep their
 * digest. When several rows turn out to be one image (its OCI layout and its docker-archive were
 * both scanned), one survives: the row already keyed by the config digest, else the most
 * recently updated one. It gets the union of their references and manifest digests and keeps
 * its own package inventory; the other rows and their packages are deleted (the next scan of
 * any form refreshes the inventory). Findings keep their `target` text as it was written.
 *
 * down: moves the first manifest digest back into `digest` (merged rows are not restored).
 */
export class ImageIdentity1765152000000 implements MigrationInterface {
  name = 'ImageIdentity1765152000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "artifact" ADD "manifest_digests" text array NOT NULL DEFAULT '{}'`);
    await queryRunner.query(
      `CREATE TEMP TABLE "artifact_identity" ON COMMIT DROP AS
         SELECT id, digest, image_id, "references",
                row_number() OVER (PARTITION BY image_id ORDER BY (digest = image_id) DESC, updated_at DESC, id) = 1 AS survivor
           FROM (SELECT id, digest, "references", updated_at,
                        CASE WHEN metadata->>'configDigest' ~ '^sha(256|512):[a-f0-9]{64,128}$' THEN metadata->>'configDigest' ELSE digest END AS image_id
                   FROM "artifact") AS a`,
    );
    await queryRunner.query(
      `UPDATE "artifact" AS a SET
         "references" = ARRAY(SELECT DISTINCT r FROM "artifact_identity" AS i, unnest(i."references") AS r WHERE i.image_id = s.image_id ORDER BY r),
         manifest_digests = ARRAY(SELECT DISTINCT i.digest FROM "artifact_identity" AS i WHERE i.image_id = s.image_id AND i.digest <> i.image_id ORDER BY i.digest)
       FROM "artifact_identity" AS s
       WHERE s.id = a.id AND s.survivor`,
    );
    await queryRunner.query(`DELETE FROM "artifact" AS a USING "artifact_identity" AS s WHERE s.id = a.id AND NOT s.survivor`);
    await queryRunner.query(`UPDATE "artifact" AS a SET digest = s.image_id FROM "artifact_identity" AS s WHERE s.id = a.id AND a.digest <> s.image_id`);
    await queryRunner.query(`DROP TABLE "artifact_identity"`);
    await queryRunner.query(`CREATE INDEX "IDX_artifact_manifest_digests" ON "artifact" USING gin ("manifest_digests")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_artifact_manifest_digests"`);
    await queryRunner.query(`UPDATE "artifact" SET digest = manifest_digests[1] WHERE cardinality(manifest_digests) > 0`);
    await queryRunner.query(`ALTER TABLE "artifact" DROP COLUMN "manifest_digests"`);
  }
}
