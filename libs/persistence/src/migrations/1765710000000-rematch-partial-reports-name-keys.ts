import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Re-matching after an advisory update touches only the packages the update changed:
 * - `task_finding_scope.locations`: complete reports over part of a scope (FindingReport.locations
 *   in the SDK): the locations the task's report was complete over; NULL (every row before this
 *   migration) is the whole (producer, scope) pair.
 * - `package.name_keys`: the package's name and source name folded as the SDK's
 *   PackageNameFilter compares them ('' added when either holds a non-ASCII character: such a
 *   package passes every filter), so narrowing an inventory read by names is an array overlap
 *   per row, not string functions over every package. Written by the ResultWriter; existing rows
 *   are filled here with the same folding (ASCII-only, as foldPackageName). NULL passes every filter.
 * - Resolving findings is a heap-only (HOT) update where the page has room: no index holds
 *   `status` or `resolved_at` any more (IDX_finding_producer_scope_status becomes
 *   IDX_finding_team_producer_scope: a scope's rows are few, its OPEN ones are filtered; the
 *   team leads so that every condition of the lookup is in one index, even on a table not yet
 *   analyzed, where the planner otherwise ANDs a whole team's index with it), and finding
 *   pages are filled to 85% so an updated row version fits beside the old one. An advisory
 *   withdrawal resolving tens of thousands of findings then writes no index entry for them.
 * - `finding.content_hash` (finding-changes.ts): a complete report tells its unchanged findings
 *   from changed ones by comparing hashes in one probe, without reading the rows back. NULL
 *   (every row before this migration) counts as changed: the next report writes it once.
 */
export class RematchPartialReportsNameKeys1765710000000 implements MigrationInterface {
  name = 'RematchPartialReportsNameKeys1765710000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "task_finding_scope" ADD "locations" text array`);
    await queryRunner.query(`ALTER TABLE "package" ADD "name_keys" text array`);
    await queryRunner.query(`DROP INDEX "IDX_finding_producer_scope_status"`);
    await queryRunner.query(`CREATE INDEX "IDX_finding_team_producer_scope" ON "finding" ("team", "producer", "scope")`);
    await queryRunner.query(`ALTER TABLE "finding" SET (fillfactor = 85)`);
    await queryRunner.query(`ALTER TABLE "finding" ADD "content_hash" text`);
    const fold = (column: string) => `regexp_replace(translate(${column}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), '[-_.]+', '-', 'g')`;
    const nonAscii = `octet_length(name) <> char_length(name) OR coalesce(octet_length(source_name) <> char_length(source_name), false)`;
    await queryRunner.query(
      `UPDATE "package" SET name_keys = ARRAY(SELECT DISTINCT k FROM unnest(ARRAY[${fold('name')}, ${fold('source_name')}, CASE WHEN ${nonAscii} THEN '' END]) AS k WHERE k IS NOT NULL ORDER BY k)`,
    );
    // A batch's packages that may carry some names: BitmapAnd of the artifact index and this one.
    await queryRunner.query(`CREATE INDEX "IDX_package_name_keys" ON "package" USING gin ("name_keys")`);
    await queryRunner.query(`CREATE INDEX "IDX_package_artifact_unkeyed" ON "package" ("artifact_id") WHERE "name_keys" IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "finding" DROP COLUMN "content_hash"`);
    await queryRunner.query(`ALTER TABLE "finding" RESET (fillfactor)`);
    await queryRunner.query(`DROP INDEX "IDX_finding_team_producer_scope"`);
    await queryRunner.query(`CREATE INDEX "IDX_finding_producer_scope_status" ON "finding" ("producer", "scope", "status")`);
    await queryRunner.query(`DROP INDEX "IDX_package_artifact_unkeyed"`);
    await queryRunner.query(`DROP INDEX "IDX_package_name_keys"`);
    await queryRunner.query(`ALTER TABLE "package" DROP COLUMN "name_keys"`);
    await queryRunner.query(`ALTER TABLE "task_finding_scope" DROP COLUMN "locations"`);
  }
}
