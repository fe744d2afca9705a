import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a task logged (issue 16): its plugin's lines at info and above, and the platform's lines
 * about its state when there is something else to show (libs/worker task-log.ts). Rows belong
 * to their task (its team is the task's) and go with it (ON DELETE CASCADE). The identity `id`
 * orders a task's lines across attempts and workers, and is the keyset of Task.logs through
 * (task_id, id). `level` is pino's number (30 info, 40 warn, 50 error), so `minLevel` is a range.
 * No other index: every read is one task's lines, at most a few thousand.
 */
export class TaskLog1766000000200 implements MigrationInterface {
  name = 'TaskLog1766000000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "task_log" (
        "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
        "task_id" uuid NOT NULL,
        "attempt" integer NOT NULL,
        "at" timestamptz(3) NOT NULL,
        "level" smallint NOT NULL,
        "message" text NOT NULL,
        "fields" jsonb,
        CONSTRAINT "PK_task_log" PRIMARY KEY ("id"),
        CONSTRAINT "FK_task_log_task" FOREIGN KEY ("task_id") REFERENCES "task"("id") ON DELETE CASCADE,
        CONSTRAINT "CHK_task_log_level" CHECK ("level" IN (30, 40, 50, 60))
      )`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_task_log_task_id_id" ON "task_log" ("task_id", "id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "task_log"`);
  }
}
