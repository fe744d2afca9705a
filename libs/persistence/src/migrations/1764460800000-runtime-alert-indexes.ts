import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the API's `alerts` query: runtime findings (kind 'runtime') hold a Falco-shaped
 * alert in `data`, and the query filters and orders on fields inside it. Partial expression
 * indexes (only runtime rows) keep each filter an index scan however many findings of other
 * kinds exist. `data->>'time'` is Falco's RFC 3339 UTC time with nanoseconds: as text it sorts
 * chronologically, and unlike a cast to timestamptz the expression is immutable, so indexable.
 *
 * The expressions must stay identical to the ones in libs/api/src/alerts/alert-query.ts, or
 * the planner cannot use them. FindingEntity lists these names with `synchronize: false`.
 */
export class RuntimeAlertIndexes1764460800000 implements MigrationInterface {
  name = 'RuntimeAlertIndexes1764460800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const runtime = `WHERE "kind" = 'runtime'`;
    await queryRunner.query(`CREATE INDEX "IDX_finding_runtime_time" ON "finding" (("data"->>'time'), "id") ${runtime}`);
    await queryRunner.query(`CREATE INDEX "IDX_finding_runtime_rule" ON "finding" ("rule_id", ("data"->>'time')) ${runtime}`);
    await queryRunner.query(`CREATE INDEX "IDX_finding_runtime_priority" ON "finding" (("data"->>'priority'), ("data"->>'time')) ${runtime}`);
    await queryRunner.query(
      `CREATE INDEX "IDX_finding_runtime_namespace" ON "finding" ((COALESCE("data"->'output_fields'->>'k8s.ns.name', "data"->'output_fields'->>'ka.target.namespace')), ("data"->>'time')) ${runtime}`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_finding_runtime_image_repository" ON "finding" (("data"->'output_fields'->>'container.image.repository'), ("data"->>'time')) ${runtime}`);
    await queryRunner.query(`CREATE INDEX "IDX_finding_runtime_image" ON "finding" (("data"->'output_fields'->>'container.image'), ("data"->>'time')) ${runtime}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const name of ['image', 'image_repository', 'namespace', 'priority', 'rule', 'time']) {
      await queryRunner.query(`DROP INDEX "IDX_finding_runtime_${name}"`);
    }
  }
}
