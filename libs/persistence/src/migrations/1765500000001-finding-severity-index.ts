import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `findings(filter: { severities: [CRITICAL] }, first: 50)`: the newest page of one severity is
 * a backward scan of this index that stops after the page (instead of reading every finding of
 * the team newest first and dropping the other severities), and its totalCount an index-only
 * count of that severity. Measured by bench/findings-query.ts (1,000,000 findings).
 */
export class FindingSeverityIndex1765500000001 implements MigrationInterface {
  name = 'FindingSeverityIndex1765500000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "IDX_finding_team_severity_last_seen_at_id" ON "finding" ("team", "severity", "last_seen_at", "id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_finding_team_severity_last_seen_at_id"`);
  }
}
