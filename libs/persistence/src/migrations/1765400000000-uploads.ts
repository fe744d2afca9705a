import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Files clients upload for their tasks (`upload:<id>`), per team, with an expiry. */
export class Uploads1765400000000 implements MigrationInterface {
  name = 'Uploads1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "upload" (
        "id" uuid NOT NULL,
        "team" text NOT NULL,
        "created_by" uuid NOT NULL,
        "name" text,
        "size" bigint NOT NULL,
        "sha256" char(64) NOT NULL,
        "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
        CONSTRAINT "PK_upload" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_upload_team_created_at" ON "upload" ("team", "created_at")`);
    await queryRunner.query(`CREATE INDEX "IDX_upload_expires_at" ON "upload" ("expires_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "upload"`);
  }
}
