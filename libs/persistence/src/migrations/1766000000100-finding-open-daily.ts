import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The trend of open findings (finding-trend.ts):
 *
 * - `finding_open_daily` (team, kind, severity, day → open): the number of OPEN findings at the
 *   end of a UTC day. The counter folder (finding-counts.ts) upserts, for the current day, the
 *   keys whose counter it just changed, so a day's row is frozen at the last fold of that day. A
 *   key without a row on a day kept the value of its previous row (readers carry it forward), so
 *   a quiet team writes nothing.
 * - `finding_open_daily_since` (one row): the first day the rows describe. Before it the open
 *   counts are unknown (this feature did not exist, or the rows were pruned): readers leave those
 *   days out instead of inventing them. The backfill below is for today only, from the exact
 *   counters; no history is reconstructed.
 * - The TRUNCATE trigger of the counters also zeroes today's rows (TRUNCATE folds nothing).
 */
export class FindingOpenDaily1766000000100 implements MigrationInterface {
  name = 'FindingOpenDaily1766000000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "finding_open_daily" ("team" text NOT NULL, "kind" character varying(32) NOT NULL, "severity" character varying(16) NOT NULL, "day" date NOT NULL, "open" bigint NOT NULL,
        CONSTRAINT "PK_finding_open_daily" PRIMARY KEY ("team", "kind", "severity", "day"))`,
    );
    // Pruning removes the oldest days of every team.
    await queryRunner.query(`CREATE INDEX "IDX_finding_open_daily_day" ON "finding_open_daily" ("day")`);
    await queryRunner.query(`CREATE TABLE "finding_open_daily_since" ("one" boolean PRIMARY KEY DEFAULT true CHECK ("one"), "day" date NOT NULL)`);
    await queryRunner.query(`INSERT INTO "finding_open_daily_since" ("day") VALUES ((now() AT TIME ZONE 'UTC')::date)`);
    // Today's open counts: the counters plus their unfolded deltas (the fold later writes the same absolute values).
    await queryRunner.query(
      `INSERT INTO "finding_open_daily" (team, kind, severity, day, open)
       SELECT team, kind, severity, (now() AT TIME ZONE 'UTC')::date, sum(n) FROM (
         SELECT team, kind, severity, n FROM "finding_count_team" WHERE status = 'OPEN'
         UNION ALL SELECT team, kind, severity, n FROM "finding_count_delta" WHERE status = 'OPEN') AS c
       GROUP BY 1, 2, 3 HAVING sum(n) <> 0`,
    );
    await queryRunner.query(
      `CREATE OR REPLACE FUNCTION "finding_count_truncated"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$ BEGIN
         DELETE FROM finding_count; DELETE FROM finding_count_team; DELETE FROM finding_count_delta;
         INSERT INTO finding_open_daily (team, kind, severity, day, open)
           SELECT DISTINCT team, kind, severity, (now() AT TIME ZONE 'UTC')::date, 0 FROM finding_open_daily
           ON CONFLICT (team, kind, severity, day) DO UPDATE SET open = 0;
       RETURN NULL; END $fn$`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE OR REPLACE FUNCTION "finding_count_truncated"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$ BEGIN DELETE FROM finding_count; DELETE FROM finding_count_team; DELETE FROM finding_count_delta; RETURN NULL; END $fn$`,
    );
    await queryRunner.query(`DROP TABLE "finding_open_daily_since"`);
    await queryRunner.query(`DROP TABLE "finding_open_daily"`);
  }
}
