import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook signing secrets encrypted at rest: `secret_sealed` holds AES-256-GCM under
 * BULKHEAD_NOTIFY_SECRET_KEY (bound to the channel's team and id). Additive, so replicas of the
 * previous version keep working during a rollout: the plaintext `secret` column stays for rows
 * stored before, and the API seals those at start-up once the key is configured (each row in one
 * UPDATE that also clears the plaintext, guarded by its old value so racing replicas agree). A
 * migration cannot do it: it must not need the key.
 *
 * Also an index on the delivery log's time alone: the retention sweep deletes by age across teams.
 */
export class NotifySecretSealed1765810000000 implements MigrationInterface {
  name = 'NotifySecretSealed1765810000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "notification_channel" ADD "secret_sealed" bytea`);
    await queryRunner.query(`CREATE INDEX "IDX_notification_delivery_at" ON "notification_delivery" ("at")`);
    await queryRunner.query(`COMMENT ON COLUMN "notification_channel"."secret" IS 'legacy plaintext webhook secret (before 1765810000000); sealed into secret_sealed at API start-up'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_notification_delivery_at"`);
    await queryRunner.query(`ALTER TABLE "notification_channel" DROP COLUMN "secret_sealed"`);
  }
}
