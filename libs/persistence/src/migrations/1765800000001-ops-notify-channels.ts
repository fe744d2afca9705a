import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-team notification channels (webhook / Slack) with their rules, and the log of delivery
 * attempts. The webhook secret is write-only: stored for signing, never returned by the API.
 */
export class OpsNotifyChannels1765800000001 implements MigrationInterface {
  name = 'OpsNotifyChannels1765800000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "notification_channel" (
        "id" uuid NOT NULL,
        "team" text NOT NULL,
        "name" text NOT NULL,
        "kind" text NOT NULL CHECK ("kind" IN ('WEBHOOK', 'SLACK')),
        "url" text NOT NULL,
        "secret" text,
        "on_critical_findings" boolean NOT NULL DEFAULT false,
        "on_failed_gates" boolean NOT NULL DEFAULT false,
        "runtime_alert_min_priority" text,
        "enabled" boolean NOT NULL DEFAULT true,
        "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_notification_channel" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_notification_channel_team_name" UNIQUE ("team", "name"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "notification_delivery" (
        "id" bigserial NOT NULL,
        "team" text NOT NULL,
        "delivery_id" uuid NOT NULL,
        "channel_id" uuid NOT NULL,
        "event_type" text NOT NULL,
        "attempt" integer NOT NULL,
        "status" text NOT NULL,
        "status_code" integer,
        "error" text,
        "duration_ms" integer NOT NULL,
        "at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
        CONSTRAINT "PK_notification_delivery" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_notification_delivery_team_at" ON "notification_delivery" ("team", "at")`);
    await queryRunner.query(`CREATE INDEX "IDX_notification_delivery_channel" ON "notification_delivery" ("channel_id", "at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "notification_delivery"`);
    await queryRunner.query(`DROP TABLE "notification_channel"`);
  }
}
