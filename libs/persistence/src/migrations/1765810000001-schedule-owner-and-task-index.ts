import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Schedules count against a token's task quota: `schedule.owner_token_id` is the token that
 * created or last edited it (null for older rows: no quota until the next edit). And a firing
 * finds its schedule's tasks (label `bulkhead.io/schedule`) through a partial expression index
 * instead of scanning the team's tasks: only labelled tasks are in it, so it stays small.
 */
export class ScheduleOwnerAndTaskIndex1765810000001 implements MigrationInterface {
  name = 'ScheduleOwnerAndTaskIndex1765810000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "schedule" ADD "owner_token_id" uuid`);
    await queryRunner.query(
      `CREATE INDEX "IDX_task_team_schedule_label" ON "task" ("team", (("labels" ->> 'bulkhead.io/schedule'))) WHERE "labels" ? 'bulkhead.io/schedule'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_task_team_schedule_label"`);
    await queryRunner.query(`ALTER TABLE "schedule" DROP COLUMN "owner_token_id"`);
  }
}
