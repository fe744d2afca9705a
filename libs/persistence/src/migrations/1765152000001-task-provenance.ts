import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Task rows say which plugin (id and version) handles them, carry labels and a parent task, and
 * link to the artifact they produced (Task.image, Image.tasks).
 *
 * Existing rows: plugin id and version stay null (not recorded then); the artifact link is
 * filled from the one place it was recorded before, a `digest` in the task's result (the
 * scanner's `{digest}`), matched against an artifact's digest or manifest digests (run after
 * ImageIdentity1765152000000).
 */
export class TaskProvenance1765152000001 implements MigrationInterface {
  name = 'TaskProvenance1765152000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "task" ADD "plugin_id" text, ADD "plugin_version" text, ADD "labels" jsonb NOT NULL DEFAULT '{}', ADD "parent_task_id" uuid, ADD "artifact_id" uuid`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_task_artifact_created_at_id" ON "task" ("artifact_id", "created_at", "id")`);
    await queryRunner.query(`CREATE INDEX "IDX_task_parent_task_id" ON "task" ("parent_task_id")`);
    await queryRunner.query(
      `ALTER TABLE "task" ADD CONSTRAINT "FK_task_parent_task" FOREIGN KEY ("parent_task_id") REFERENCES "task"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "task" ADD CONSTRAINT "FK_task_artifact" FOREIGN KEY ("artifact_id") REFERENCES "artifact"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `UPDATE "task" AS t SET artifact_id = a.id
         FROM "artifact" AS a
        WHERE jsonb_typeof(t.result->'digest') = 'string'
          AND (a.digest = t.result->>'digest' OR a.manifest_digests @> ARRAY[t.result->>'digest'])`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "task" DROP CONSTRAINT "FK_task_artifact"`);
    await queryRunner.query(`ALTER TABLE "task" DROP CONSTRAINT "FK_task_parent_task"`);
    await queryRunner.query(`DROP INDEX "IDX_task_parent_task_id"`);
    await queryRunner.query(`DROP INDEX "IDX_task_artifact_created_at_id"`);
    await queryRunner.query(`ALTER TABLE "task" DROP COLUMN "artifact_id", DROP COLUMN "parent_task_id", DROP COLUMN "labels", DROP COLUMN "plugin_version", DROP COLUMN "plugin_id"`);
  }
}
