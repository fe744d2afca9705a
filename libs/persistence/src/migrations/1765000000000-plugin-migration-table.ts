import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The record of plugin migrations (PluginApi.migrations): one row per step a plugin's API
 * entry contributed and the host ran, so each step runs once, after the core migrations.
 */
export class PluginMigrationTable1765000000000 implements MigrationInterface {
  name = 'PluginMigrationTable1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "plugin_migration" ("plugin_id" text NOT NULL, "migration_id" text NOT NULL, "applied_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_plugin_migration" PRIMARY KEY ("plugin_id", "migration_id"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "plugin_migration"`);
  }
}
