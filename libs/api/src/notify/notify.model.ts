import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum NotificationChannelKind {
  WEBHOOK = 'WEBHOOK',
  SLACK = 'SLACK',
}
registerEnumType(NotificationChannelKind, { name: 'NotificationChannelKind', description: 'WEBHOOK: JSON signed with HMAC-SHA256 (X-Bulkhead-Signature); SLACK: a Slack-compatible incoming-webhook message.' });

@ObjectType({ description: "A team's notification channel (never its secret: write-only)." })
export class NotificationChannel {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => NotificationChannelKind) kind!: NotificationChannelKind;
  @Field({ description: 'Destination; shown to operators and admins of the team only (a Slack URL is a credential).' }) url!: string;
  @Field({ description: 'Whether a signing secret is stored (WEBHOOK).' }) hasSecret!: boolean;
  @Field({ description: 'Send new CRITICAL findings.' }) onCriticalFindings!: boolean;
  @Field({ description: 'Send failed promotion gates.' }) onFailedGates!: boolean;
  @Field(() => String, { nullable: true, description: 'Send runtime alerts at or above this priority (Emergency … Debug); null: none.' }) runtimeAlertMinPriority!: string | null;
  @Field() enabled!: boolean;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
}

@ObjectType({ description: 'One delivery attempt of a notification.' })
export class NotificationDelivery {
  @Field(() => ID) deliveryId!: string;
  @Field(() => ID) channelId!: string;
  @Field({ description: 'finding.critical, gate.failed or runtime.alert.' }) eventType!: string;
  @Field(() => Int) attempt!: number;
  @Field({ description: 'SUCCEEDED, RETRYING (another attempt is scheduled) or FAILED (final).' }) status!: string;
  @Field(() => Int, { nullable: true }) statusCode!: number | null;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => Int) durationMs!: number;
  @Field() at!: Date;
}
