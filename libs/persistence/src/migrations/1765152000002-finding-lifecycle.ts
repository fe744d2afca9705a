import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Finding lifecycle: status (OPEN / RESOLVED / SUPPRESSED), resolved_at, reopened_at, and the
 * producer and scope of the task that last reported each finding (see finding-lifecycle.ts for
 * the rules).
 *
 * Existing findings are OPEN. Those reported by a task still stored get that task's producer
 * (`<kind>/<type>`) and scope (sha256 of the task input's jsonb text: the same expression as
 * PRODUCER_SCOPE_SQL in finding-lifecycle.ts, written out here so that this migration never
 * changes); the others keep none and are never resolved by a rerun.
 */
export class FindingLifecycle1765152000002 implements MigrationInterface {
  name = 'FindingLifecycle1765152000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE "finding_status" AS ENUM('OPEN', 'RESOLVED', 'SUPPRESSED')`);
    await queryRunner.query(
      `ALTER TABLE "finding" ADD "status" "finding_status" NOT NULL DEFAULT 'OPEN', ADD "resolved_at" TIMESTAMP(3) WITH TIME ZONE, ADD "reopened_at" TIMESTAMP(3) WITH TIME ZONE, ADD "producer" text, ADD "scope" text`,
    );
    await queryRunner.query(
      `UPDATE "finding" AS f SET producer = t.kind || '/' || t.type, scope = encode(sha256(convert_to(t.input::text, 'UTF8')), 'hex')
         FROM "task" AS t
        WHERE t.id = f.task_id AND f.kind <> 'runtime'`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_finding_producer_scope_status" ON "finding" ("producer", "scope", "status")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_finding_producer_scope_status"`);
    await queryRunner.query(`ALTER TABLE "finding" DROP COLUMN "scope", DROP COLUMN "producer", DROP COLUMN "reopened_at", DROP COLUMN "resolved_at", DROP COLUMN "status"`);
    await queryRunner.query(`DROP TYPE "finding_status"`);
  }
}
