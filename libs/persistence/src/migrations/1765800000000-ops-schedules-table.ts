import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Cron schedules of tasks, per team (issue 11, stream schedules). */
export class OpsSchedulesTable1765800000000 implements MigrationInterface {
  name = 'OpsSchedulesTable1765800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "schedule" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "team" text NOT NULL,
        "kind" text NOT NULL,
        "type" text NOT NULL,
        "input" jsonb NOT NULL,
        "cron" text NOT NULL,
        "timezone" text NOT NULL,
        "paused" boolean NOT NULL DEFAULT false,
        "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "last_run_at" TIMESTAMP(3) WITH TIME ZONE,
        "last_task_id" uuid,
        "last_error" text,
        "last_changes" jsonb,
        "run_count" integer NOT NULL DEFAULT 0,
        CONSTRAINT "PK_schedule" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_schedule_team_created_at" ON "schedule" ("team", "created_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "schedule"`);
  }
}
