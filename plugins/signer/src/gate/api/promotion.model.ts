import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { GraphQLJSON, JSON_FIELD_COST } from '@bulkhead/plugin-sdk/api';

export enum PromotionVerdict {
  PASS = 'PASS',
  FAIL = 'FAIL',
}
registerEnumType(PromotionVerdict, { name: 'PromotionVerdict', description: 'A promotion gate decision.' });

@ObjectType({ description: 'Why a gate failed: the policy rule and, where there is one, the finding.' })
export class PromotionReason {
  @Field({ description: 'The policy rule: maxSeverity, allowSecrets, benchmark.maxFailures, requiredSigners, scan, benchmark.' })
  rule!: string;

  @Field({ description: 'What broke it, in words (severity, advisory, package and fix; check id; signer).' })
  detail!: string;

  @Field(() => String, { nullable: true, description: 'The finding it is about (Finding.id).' })
  findingId!: string | null;
}

@ObjectType({ description: 'A recorded promotion gate decision (promoteImage): what the policy found and whether the image was signed.' })
export class Promotion {
  @Field(() => ID, { description: 'The promote-image task id.' })
  id!: string;

  @Field({ description: 'The image reference the gate was asked to promote.' })
  ref!: string;

  @Field(() => String, { nullable: true, description: 'The image id (config digest) the scan saw; null when the scan failed.' })
  digest!: string | null;

  @Field(() => PromotionVerdict)
  decision!: PromotionVerdict;

  @Field(() => [PromotionReason], { description: 'Every reason the gate failed (empty on PASS).' })
  reasons!: PromotionReason[];

  @Field(() => GraphQLJSON, { complexity: JSON_FIELD_COST, description: 'The policy evaluated, defaults filled in.' })
  policy!: unknown;

  @Field(() => GraphQLJSON, { complexity: JSON_FIELD_COST, description: 'Counts the decision looked at: vulnerabilities (and above the limit), secrets, failed image checks (and counted).' })
  summary!: Record<string, number>;

  @Field({ description: 'True when the image was signed (only ever after a PASS).' })
  signed!: boolean;

  @Field(() => String, { nullable: true })
  signatureId!: string | null;

  @Field(() => String, { nullable: true, description: 'Why the image was not signed: the policy failed, or no signing key was given.' })
  notSignedReason!: string | null;

  @Field()
  decidedAt!: Date;
}
