import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Complete reports over part of a scope (FindingReport.locations in the SDK): a re-match after
 * an advisory update re-reports only the packages the update changed, and resolves only there.
 * `task_finding_scope.locations`: the locations the task's report was complete over; NULL (every
 * row before this migration) is the whole (producer, scope) pair.
 */
export class RematchPartialReports1765710000000 implements MigrationInterface {
  name = 'RematchPartialReports1765710000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "task_finding_scope" ADD "locations" text array`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "task_finding_scope" DROP COLUMN "locations"`);
  }
}
