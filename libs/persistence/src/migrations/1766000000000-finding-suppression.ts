import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Suppression with a reason and an expiry (issue 16; finding-suppression.ts). Five nullable
 * columns on `finding`, set only while the finding is SUPPRESSED by a person (adding a nullable
 * column without a default rewrites nothing):
 * - suppression_reason: free text (at most 1000 characters, checked here too);
 * - suppression_justification: an OpenVEX `not_affected` justification;
 * - suppressed_until: when the suppression lapses (the finding is OPEN again), null: until reopened;
 * - suppressed_by: the name of the API token that suppressed it; suppressed_at: when.
 * One partial index serves the expiry sweeper: it holds only the few rows with an expiry, and
 * its column and predicate change only when a person suppresses or reopens, never on a run's
 * re-report (which stays a cheap update, finding-upsert.ts).
 */
export class FindingSuppression1766000000000 implements MigrationInterface {
  name = 'FindingSuppression1766000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "finding" ADD "suppression_reason" text, ADD "suppression_justification" text, ADD "suppressed_until" TIMESTAMP(3) WITH TIME ZONE,
        ADD "suppressed_by" text, ADD "suppressed_at" TIMESTAMP(3) WITH TIME ZONE`,
    );
    await queryRunner.query(`ALTER TABLE "finding" ADD CONSTRAINT "CHK_finding_suppression_reason_length" CHECK (char_length("suppression_reason") <= 1000)`);
    await queryRunner.query(`CREATE INDEX "IDX_finding_suppressed_until" ON "finding" ("suppressed_until") WHERE "suppressed_until" IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_finding_suppressed_until"`);
    await queryRunner.query(`ALTER TABLE "finding" DROP CONSTRAINT "CHK_finding_suppression_reason_length"`);
    await queryRunner.query(
      `ALTER TABLE "finding" DROP COLUMN "suppressed_at", DROP COLUMN "suppressed_by", DROP COLUMN "suppressed_until", DROP COLUMN "suppression_justification", DROP COLUMN "suppression_reason"`,
    );
  }
}
