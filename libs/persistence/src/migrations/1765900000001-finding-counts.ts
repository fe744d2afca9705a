import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dashboard queries at millions of findings (finding-counts.ts):
 *
 * - `finding_count` (team, target, kind, severity, status → n) and `finding_count_team` (team,
 *   kind, severity, status → n): exact counts, so "findings by severity" or a page's totalCount
 *   reads a few rows instead of counting millions.
 * - They are kept exact in the writer's own transaction by statement-level triggers on `finding`
 *   (transition tables: one grouped INSERT per statement, whatever its size). The triggers only
 *   APPEND signed deltas to `finding_count_delta`; they never update a shared counter row. Two
 *   workers writing findings of the same image or team therefore never wait on each other or
 *   deadlock on a counter (a team-wide counter would be one hot row every writer locks). One
 *   folder at a time (an advisory lock) moves the deltas into the two counter tables in one
 *   transaction; readers add the unfolded deltas, so an answer is exact at its snapshot whether
 *   or not the folder has run.
 * - Backfill: the counters start from a grouped count of the existing rows, in this migration's
 *   transaction (the table is locked against writers meanwhile, so nothing is counted twice or missed).
 * - Indexes for the filters `findings` offers, newest first: by kind, by target (one image's
 *   findings) and by status. Severity has its index (FindingSeverityIndex1765500000001). The
 *   status index gives up the heap-only resolve of RematchPartialReportsNameKeys1765710000000:
 *   RESOLVED findings are by nature the ones not seen lately, so without it the newest RESOLVED
 *   page walks every newer OPEN finding (755 ms at 10,000,000 findings, bench/findings-scale.ts);
 *   what resolving costs now is measured by bench/findings-write.ts.
 */
export class FindingCounts1765900000001 implements MigrationInterface {
  name = 'FindingCounts1765900000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`LOCK TABLE "finding" IN SHARE ROW EXCLUSIVE MODE`);
    await queryRunner.query(
      `CREATE TABLE "finding_count" ("team" text NOT NULL, "target" text NOT NULL, "kind" character varying(32) NOT NULL, "severity" character varying(16) NOT NULL, "status" text NOT NULL, "n" bigint NOT NULL,
        CONSTRAINT "PK_finding_count" PRIMARY KEY ("team", "target", "kind", "severity", "status"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "finding_count_team" ("team" text NOT NULL, "kind" character varying(32) NOT NULL, "severity" character varying(16) NOT NULL, "status" text NOT NULL, "n" bigint NOT NULL,
        CONSTRAINT "PK_finding_count_team" PRIMARY KEY ("team", "kind", "severity", "status"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "finding_count_delta" ("id" bigserial NOT NULL, "team" text NOT NULL, "target" text NOT NULL, "kind" character varying(32) NOT NULL, "severity" character varying(16) NOT NULL, "status" text NOT NULL, "n" bigint NOT NULL,
        CONSTRAINT "PK_finding_count_delta" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_finding_count_delta_team_target" ON "finding_count_delta" ("team", "target")`);

    // The functions run with the schema they were created in (the writer's search_path may differ).
    const fn = (name: string, body: string) =>
      queryRunner.query(`CREATE FUNCTION "${name}"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$ BEGIN ${body} RETURN NULL; END $fn$`);
    const insertDelta = `INSERT INTO finding_count_delta (team, target, kind, severity, status, n)`;
    await fn('finding_count_inserted', `${insertDelta} SELECT team, target, kind, severity, status::text, count(*) FROM finding_new GROUP BY 1, 2, 3, 4, 5;`);
    await fn('finding_count_deleted', `${insertDelta} SELECT team, target, kind, severity, status::text, -count(*) FROM finding_old GROUP BY 1, 2, 3, 4, 5;`);
    // Net change per key: most updates (a re-report moving lastSeenAt) change no key and add nothing.
    await fn(
      'finding_count_updated',
      `${insertDelta} SELECT team, target, kind, severity, status, sum(n) FROM (
         SELECT team, target, kind, severity, status::text AS status, 1 AS n FROM finding_new
         UNION ALL SELECT team, target, kind, severity, status::text, -1 FROM finding_old) AS d
       GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0;`,
    );
    await fn('finding_count_truncated', `DELETE FROM finding_count; DELETE FROM finding_count_team; DELETE FROM finding_count_delta;`);
    await queryRunner.query(`CREATE TRIGGER "finding_count_insert" AFTER INSERT ON "finding" REFERENCING NEW TABLE AS finding_new FOR EACH STATEMENT EXECUTE FUNCTION "finding_count_inserted"()`);
    await queryRunner.query(`CREATE TRIGGER "finding_count_delete" AFTER DELETE ON "finding" REFERENCING OLD TABLE AS finding_old FOR EACH STATEMENT EXECUTE FUNCTION "finding_count_deleted"()`);
    await queryRunner.query(
      `CREATE TRIGGER "finding_count_update" AFTER UPDATE ON "finding" REFERENCING OLD TABLE AS finding_old NEW TABLE AS finding_new FOR EACH STATEMENT EXECUTE FUNCTION "finding_count_updated"()`,
    );
    await queryRunner.query(`CREATE TRIGGER "finding_count_truncate" AFTER TRUNCATE ON "finding" FOR EACH STATEMENT EXECUTE FUNCTION "finding_count_truncated"()`);

    await queryRunner.query(`INSERT INTO "finding_count" (team, target, kind, severity, status, n) SELECT team, target, kind, severity, status::text, count(*) FROM "finding" GROUP BY 1, 2, 3, 4, 5`);
    await queryRunner.query(`INSERT INTO "finding_count_team" (team, kind, severity, status, n) SELECT team, kind, severity, status, sum(n) FROM "finding_count" GROUP BY 1, 2, 3, 4`);

    await queryRunner.query(`CREATE INDEX "IDX_finding_team_kind_last_seen_at_id" ON "finding" ("team", "kind", "last_seen_at", "id")`);
    await queryRunner.query(`CREATE INDEX "IDX_finding_team_target_last_seen_at_id" ON "finding" ("team", "target", "last_seen_at", "id")`);
    await queryRunner.query(`CREATE INDEX "IDX_finding_team_status_last_seen_at_id" ON "finding" ("team", "status", "last_seen_at", "id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_finding_team_status_last_seen_at_id"`);
    await queryRunner.query(`DROP INDEX "IDX_finding_team_target_last_seen_at_id"`);
    await queryRunner.query(`DROP INDEX "IDX_finding_team_kind_last_seen_at_id"`);
    for (const trigger of ['insert', 'delete', 'update', 'truncate']) await queryRunner.query(`DROP TRIGGER "finding_count_${trigger}" ON "finding"`);
    for (const fn of ['inserted', 'deleted', 'updated', 'truncated']) await queryRunner.query(`DROP FUNCTION "finding_count_${fn}"()`);
    await queryRunner.query(`DROP TABLE "finding_count_delta"`);
    await queryRunner.query(`DROP TABLE "finding_count_team"`);
    await queryRunner.query(`DROP TABLE "finding_count"`);
  }
}
