import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Team (tenant) scoping: every core row carries its team, and the unique keys include it, so
 * the same image scanned by two teams is two artifact rows and the same finding reported in two
 * teams is two finding rows.
 *
 * Existing rows become the `default` team (the column's default): an installation upgraded to
 * this version keeps working as the one team `default`, which is also the team of the inline CLI.
 * A package's team is its artifact's (a package row is only ever written under its artifact).
 */
export class TeamScoping1765238400000 implements MigrationInterface {
  name = 'TeamScoping1765238400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['task', 'artifact', 'package', 'finding']) {
      await queryRunner.query(`ALTER TABLE "${table}" ADD "team" text NOT NULL DEFAULT 'default'`);
    }
    await queryRunner.query(`ALTER TABLE "artifact" DROP CONSTRAINT "UQ_artifact_digest"`);
    await queryRunner.query(`ALTER TABLE "artifact" ADD CONSTRAINT "UQ_artifact_team_digest" UNIQUE ("team", "digest")`);
    await queryRunner.query(`ALTER TABLE "finding" DROP CONSTRAINT "UQ_finding_target_fingerprint"`);
    await queryRunner.query(`ALTER TABLE "finding" ADD CONSTRAINT "UQ_finding_team_target_fingerprint" UNIQUE ("team", "target", "fingerprint")`);
    await queryRunner.query(`DROP INDEX "UQ_task_dedup_key"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_task_team_dedup_key" ON "task" ("team", "dedup_key") WHERE "dedup_key" IS NOT NULL AND "status" IN ('QUEUED', 'RUNNING')`);
    // Every list is read within one team: newest tasks, most recently updated images, most recently seen findings.
    await queryRunner.query(`DROP INDEX "IDX_task_created_at_id"`);
    await queryRunner.query(`CREATE INDEX "IDX_task_team_created_at_id" ON "task" ("team", "created_at", "id")`);
    await queryRunner.query(`CREATE INDEX "IDX_artifact_team_updated_at_id" ON "artifact" ("team", "updated_at", "id")`);
    await queryRunner.query(`DROP INDEX "IDX_finding_last_seen_at_id"`);
    await queryRunner.query(`CREATE INDEX "IDX_finding_team_last_seen_at_id" ON "finding" ("team", "last_seen_at", "id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Only possible while every row is still in one team per key (the old keys would not hold otherwise).
    await queryRunner.query(`DROP INDEX "IDX_finding_team_last_seen_at_id"`);
    await queryRunner.query(`CREATE INDEX "IDX_finding_last_seen_at_id" ON "finding" ("last_seen_at", "id")`);
    await queryRunner.query(`DROP INDEX "IDX_artifact_team_updated_at_id"`);
    await queryRunner.query(`DROP INDEX "IDX_task_team_created_at_id"`);
    await queryRunner.query(`CREATE INDEX "IDX_task_created_at_id" ON "task" ("created_at", "id")`);
    await queryRunner.query(`DROP INDEX "UQ_task_team_dedup_key"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_task_dedup_key" ON "task" ("dedup_key") WHERE "dedup_key" IS NOT NULL AND "status" IN ('QUEUED', 'RUNNING')`);
    await queryRunner.query(`ALTER TABLE "finding" DROP CONSTRAINT "UQ_finding_team_target_fingerprint"`);
    await queryRunner.query(`ALTER TABLE "finding" ADD CONSTRAINT "UQ_finding_target_fingerprint" UNIQUE ("target", "fingerprint")`);
    await queryRunner.query(`ALTER TABLE "artifact" DROP CONSTRAINT "UQ_artifact_team_digest"`);
    await queryRunner.query(`ALTER TABLE "artifact" ADD CONSTRAINT "UQ_artifact_digest" UNIQUE ("digest")`);
    for (const table of ['finding', 'package', 'artifact', 'task']) {
      await queryRunner.query(`ALTER TABLE "${table}" DROP COLUMN "team"`);
    }
  }
}
