import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tasks, artifacts, packages and findings. Statements carry no schema name: the data source's
 * search_path (see dataSourceOptions) places them in the configured schema.
 */
export class InitialSchema1751328000000 implements MigrationInterface {
  name = 'InitialSchema1751328000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "artifact" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "digest" text NOT NULL, "references" text array NOT NULL DEFAULT '{}', "os_family" text, "os_version" text, "os_name" text, "size" bigint NOT NULL DEFAULT '0', "layers" jsonb NOT NULL DEFAULT '[]', "metadata" jsonb NOT NULL DEFAULT '{}', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_artifact_digest" UNIQUE ("digest"), CONSTRAINT "PK_1f238d1d4ef8f85d0c0b8616fa3" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "finding" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "kind" character varying(32) NOT NULL, "severity" character varying(16) NOT NULL, "rule_id" text NOT NULL, "title" text NOT NULL, "target" text NOT NULL, "location" text, "data" jsonb NOT NULL DEFAULT '{}', "fingerprint" text NOT NULL, "task_id" uuid, "first_seen_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "last_seen_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_finding_target_fingerprint" UNIQUE ("target", "fingerprint"), CONSTRAINT "PK_a904dfcf401ccfbaa60bb6eec29" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_finding_last_seen_at_id" ON "finding" ("last_seen_at", "id")`);
    await queryRunner.query(`CREATE INDEX "IDX_finding_task_id" ON "finding" ("task_id")`);
    await queryRunner.query(`CREATE INDEX "IDX_finding_kind_severity" ON "finding" ("kind", "severity")`);
    await queryRunner.query(
      `CREATE TABLE "package" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "artifact_id" uuid NOT NULL, "type" character varying(32) NOT NULL, "name" text NOT NULL, "version" text NOT NULL, "source_name" text, "source_version" text, "purl" text NOT NULL, "layer" text NOT NULL DEFAULT '', "metadata" jsonb NOT NULL DEFAULT '{}', CONSTRAINT "UQ_package_artifact_purl_layer" UNIQUE ("artifact_id", "purl", "layer"), CONSTRAINT "PK_308364c66df656295bc4ec467c2" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_package_type_name" ON "package" ("type", "name")`);
    await queryRunner.query(`CREATE INDEX "IDX_package_artifact_name_id" ON "package" ("artifact_id", "name", "id")`);
    await queryRunner.query(`CREATE TYPE "task_status" AS ENUM('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')`);
    await queryRunner.query(
      `CREATE TABLE "task" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "kind" character varying(32) NOT NULL, "type" character varying(128) NOT NULL, "input" jsonb NOT NULL, "status" "task_status" NOT NULL DEFAULT 'QUEUED', "progress" real NOT NULL DEFAULT '0', "progress_message" text, "error" text, "attempts" integer NOT NULL DEFAULT '0', "result" jsonb, "dedup_key" text, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "started_at" TIMESTAMP(3) WITH TIME ZONE, "finished_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "PK_fb213f79ee45060ba925ecd576e" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_task_dedup_key" ON "task" ("dedup_key") WHERE "dedup_key" IS NOT NULL AND "status" IN ('QUEUED', 'RUNNING')`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_task_unfinished" ON "task" ("status") WHERE "status" IN ('QUEUED', 'RUNNING')`);
    await queryRunner.query(`CREATE INDEX "IDX_task_created_at_id" ON "task" ("created_at", "id")`);
    await queryRunner.query(
      `ALTER TABLE "package" ADD CONSTRAINT "FK_package_artifact" FOREIGN KEY ("artifact_id") REFERENCES "artifact"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "task"`);
    await queryRunner.query(`DROP TYPE "task_status"`);
    await queryRunner.query(`DROP TABLE "package"`);
    await queryRunner.query(`DROP TABLE "finding"`);
    await queryRunner.query(`DROP TABLE "artifact"`);
  }
}
