import { Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import { ConnectionType } from '@bulkhead/plugin-sdk/api';

@ObjectType({ description: 'A recorded admission webhook decision: a denial, a dry-run denial, or an error while deciding (allowed ones are not recorded).' })
export class AdmissionDecisionRecord {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'When the webhook decided.' })
  at!: Date;

  @Field({ description: 'The AdmissionReview request uid.' })
  uid!: string;

  @Field({ description: 'Kind of the object admitted: Pod, Deployment, CronJob ...' })
  kind!: string;

  @Field()
  namespace!: string;

  @Field()
  name!: string;

  @Field({ description: 'CREATE or UPDATE.' })
  operation!: string;

  @Field({ description: '`denied`, `dry-run` (would have been denied, allowed) or `error` (could not decide; the failure policy decided).' })
  outcome!: string;

  @Field({ description: 'What the webhook answered.' })
  allowed!: boolean;

  @Field(() => [String], { description: 'One line per broken rule (or the error).' })
  reasons!: string[];
}

@ObjectType()
export class AdmissionDecisionConnection extends ConnectionType(AdmissionDecisionRecord, 'AdmissionDecision') {}

@InputType({ description: 'All given fields must match.' })
export class AdmissionDecisionFilter {
  @Field(() => Boolean, { nullable: true, description: 'Only decisions that allowed (dry-run, fail-open errors) or denied the object.' })
  allowed?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Exact Kubernetes namespace.' })
  namespace?: string | null;

  @Field(() => Date, { nullable: true, description: 'Decisions at or after this instant.' })
  since?: Date | null;
}
