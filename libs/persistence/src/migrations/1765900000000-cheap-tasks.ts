import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cheap task updates (issue 15). A task row is updated on every run (claimed, progress, finished);
 * an update can be heap-only (HOT: no index entry written) when it changes no indexed column and
 * its page has room. So:
 * - no index holds or filters on `status` any more: the reconciler's index of unfinished tasks
 *   and the live-dedup unique index select `finished_at IS NULL` instead. Claiming a task and
 *   recording progress change no indexed column; only the final update (which must leave those
 *   indexes) is not heap-only;
 * - the table's pages are filled to 80%, leaving room for the new row versions.
 * finished_at IS NULL means unfinished: every finishing transition sets it, and rows finished
 * without it (none are expected) are given their last update time first.
 */
export class CheapTasks1765900000000 implements MigrationInterface {
  name = 'CheapTasks1765900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE "task" SET "finished_at" = "updated_at" WHERE "finished_at" IS NULL AND "status" NOT IN ('QUEUED', 'RUNNING')`);
    await queryRunner.query(`UPDATE "task" SET "finished_at" = NULL WHERE "finished_at" IS NOT NULL AND "status" IN ('QUEUED', 'RUNNING')`);
    await queryRunner.query(`DROP INDEX "IDX_task_unfinished"`);
    await queryRunner.query(`CREATE INDEX "IDX_task_unfinished" ON "task" ("created_at", "id") WHERE "finished_at" IS NULL`);
    await queryRunner.query(`DROP INDEX "UQ_task_team_dedup_key"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_task_team_dedup_key" ON "task" ("team", "dedup_key") WHERE "dedup_key" IS NOT NULL AND "finished_at" IS NULL`);
    await queryRunner.query(`ALTER TABLE "task" SET (fillfactor = 80)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "task" RESET (fillfactor)`);
    await queryRunner.query(`DROP INDEX "UQ_task_team_dedup_key"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_task_team_dedup_key" ON "task" ("team", "dedup_key") WHERE "dedup_key" IS NOT NULL AND "status" IN ('QUEUED', 'RUNNING')`);
    await queryRunner.query(`DROP INDEX "IDX_task_unfinished"`);
    await queryRunner.query(`CREATE INDEX "IDX_task_unfinished" ON "task" ("status") WHERE "status" IN ('QUEUED', 'RUNNING')`);
  }
}
