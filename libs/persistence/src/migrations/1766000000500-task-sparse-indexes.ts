import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Task indexes only over the rows they find (issue 15). Most tasks have no parent and produce no
 * artifact, yet each of their row versions (the insert and the final update, which cannot be
 * heap-only) wrote an entry for NULL into the parent and artifact indexes. Partial indexes over
 * non-NULL keys serve the same lookups (`parent_task_id = $1`, `artifact_id = $1` imply IS NOT NULL)
 * and leave those two writes out for such tasks.
 */
export class TaskSparseIndexes1766000000500 implements MigrationInterface {
  name = 'TaskSparseIndexes1766000000500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_task_parent_task_id"`);
    await queryRunner.query(`CREATE INDEX "IDX_task_parent_task_id" ON "task" ("parent_task_id") WHERE "parent_task_id" IS NOT NULL`);
    await queryRunner.query(`DROP INDEX "IDX_task_artifact_created_at_id"`);
    await queryRunner.query(`CREATE INDEX "IDX_task_artifact_created_at_id" ON "task" ("artifact_id", "created_at", "id") WHERE "artifact_id" IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_task_artifact_created_at_id"`);
    await queryRunner.query(`CREATE INDEX "IDX_task_artifact_created_at_id" ON "task" ("artifact_id", "created_at", "id")`);
    await queryRunner.query(`DROP INDEX "IDX_task_parent_task_id"`);
    await queryRunner.query(`CREATE INDEX "IDX_task_parent_task_id" ON "task" ("parent_task_id")`);
  }
}
