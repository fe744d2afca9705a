import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Complete finding reports over a named (producer, scope) (FindingReport in the SDK) and the
 * file a package was read from.
 *
 * - `task_finding_scope`: the (producer, scope) pairs a task reported on completely, recorded
 *   even when it reported no finding there, with the fingerprints it reported; when the task
 *   succeeds, the OPEN findings of those pairs it did not report are RESOLVED
 *   (finding-lifecycle.ts). A pair belongs to the task's team (findings are resolved within
 *   it). Rows go with their task.
 * - `package.path`: the same package version read from two lockfiles is two packages, so the
 *   path is part of the inventory's key. '' where the analyzer does not say (never NULL in a key).
 */
export class FindingReportsPackagePath1765500000000 implements MigrationInterface {
  name = 'FindingReportsPackagePath1765500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "task_finding_scope" (
        "task_id" uuid NOT NULL,
        "team" text NOT NULL,
        "producer" text NOT NULL,
        "scope" text NOT NULL,
        "fingerprints" text[] NOT NULL DEFAULT '{}',
        CONSTRAINT "PK_task_finding_scope" PRIMARY KEY ("task_id", "producer", "scope"),
        CONSTRAINT "FK_task_finding_scope_task" FOREIGN KEY ("task_id") REFERENCES "task"("id") ON DELETE CASCADE)`,
    );
    await queryRunner.query(`ALTER TABLE "package" ADD "path" text NOT NULL DEFAULT ''`);
    await queryRunner.query(`ALTER TABLE "package" DROP CONSTRAINT "UQ_package_artifact_purl_layer"`);
    await queryRunner.query(`ALTER TABLE "package" ADD CONSTRAINT "UQ_package_artifact_purl_layer_path" UNIQUE ("artifact_id", "purl", "layer", "path")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Only possible while no artifact holds the same (purl, layer) under two paths.
    await queryRunner.query(`ALTER TABLE "package" DROP CONSTRAINT "UQ_package_artifact_purl_layer_path"`);
    await queryRunner.query(`ALTER TABLE "package" ADD CONSTRAINT "UQ_package_artifact_purl_layer" UNIQUE ("artifact_id", "purl", "layer")`);
    await queryRunner.query(`ALTER TABLE "package" DROP COLUMN "path"`);
    await queryRunner.query(`DROP TABLE "task_finding_scope"`);
  }
}
