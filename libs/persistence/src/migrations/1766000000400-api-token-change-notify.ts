import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The API caches valid tokens for a few seconds (libs/api/src/auth/token-cache.ts), so a
 * revocation must reach every API replica at once, whoever makes it: the `revokeApiToken`
 * mutation, `bulkhead token revoke` (straight to Postgres, no Redis) or an operator's SQL. A
 * trigger on `api_token` sends `pg_notify('bulkhead_api_token', '<schema>:<token id>')` when a
 * row is deleted or its revocation, expiry, role, team or secret changes (not for the
 * last_used_at touches). Postgres delivers a notification when the writing transaction commits
 * (never for a rolled-back one), so it cannot be lost between the write and a separate publish.
 * The schema prefix lets one database hold several installations (tests do); listeners ignore
 * other schemas' tokens.
 */
export class ApiTokenChangeNotify1766000000400 implements MigrationInterface {
  name = 'ApiTokenChangeNotify1766000000400';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION "api_token_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('bulkhead_api_token', TG_TABLE_SCHEMA || ':' || OLD."id");
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER "api_token_changed_update" AFTER UPDATE ON "api_token" FOR EACH ROW
      WHEN (OLD."revoked_at" IS DISTINCT FROM NEW."revoked_at" OR OLD."expires_at" IS DISTINCT FROM NEW."expires_at"
        OR OLD."role" IS DISTINCT FROM NEW."role" OR OLD."team" IS DISTINCT FROM NEW."team" OR OLD."secret_hash" IS DISTINCT FROM NEW."secret_hash")
      EXECUTE FUNCTION "api_token_changed"()`);
    await queryRunner.query(`CREATE TRIGGER "api_token_changed_delete" AFTER DELETE ON "api_token" FOR EACH ROW EXECUTE FUNCTION "api_token_changed"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER IF EXISTS "api_token_changed_delete" ON "api_token"`);
    await queryRunner.query(`DROP TRIGGER IF EXISTS "api_token_changed_update" ON "api_token"`);
    await queryRunner.query(`DROP FUNCTION IF EXISTS "api_token_changed"()`);
  }
}
