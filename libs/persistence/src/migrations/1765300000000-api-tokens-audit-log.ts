import type { MigrationInterface, QueryRunner } from 'typeorm';

/** API tokens (hashed secrets, roles, teams) and the audit log. */
export class ApiTokensAuditLog1765300000000 implements MigrationInterface {
  name = 'ApiTokensAuditLog1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "api_token" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" text NOT NULL,
        "team" text NOT NULL,
        "role" text NOT NULL,
        "secret_hash" char(64) NOT NULL,
        "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "created_by" text NOT NULL,
        "expires_at" TIMESTAMP(3) WITH TIME ZONE,
        "revoked_at" TIMESTAMP(3) WITH TIME ZONE,
        "last_used_at" TIMESTAMP(3) WITH TIME ZONE,
        CONSTRAINT "PK_api_token" PRIMARY KEY ("id"),
        CONSTRAINT "CHK_api_token_role" CHECK ("role" IN ('viewer', 'operator', 'admin')))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_api_token_secret_hash" ON "api_token" ("secret_hash")`);
    await queryRunner.query(`CREATE INDEX "IDX_api_token_team_created_at" ON "api_token" ("team", "created_at")`);
    await queryRunner.query(
      `CREATE TABLE "audit_log" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "token_id" uuid,
        "token_name" text,
        "team" text,
        "operation" text NOT NULL,
        "details" jsonb NOT NULL DEFAULT '{}',
        "outcome" text NOT NULL,
        "error" text,
        "remote_address" text,
        "user_agent" text,
        CONSTRAINT "PK_audit_log" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_audit_log_team_at_id" ON "audit_log" ("team", "at", "id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "audit_log"`);
    await queryRunner.query(`DROP TABLE "api_token"`);
  }
}
