import { Field, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ConnectionType, GraphQLJSON, PluginKind, registerHostGraphqlType, Severity } from '@bulkhead/plugin-sdk/api';

/** Mirrors the persisted finding states (persistence's FindingStatus); values are the stored strings. */
export const FindingStatus = {
  OPEN: 'OPEN',
  RESOLVED: 'RESOLVED',
  SUPPRESSED: 'SUPPRESSED',
} as const;
export type FindingStatus = (typeof FindingStatus)[keyof typeof FindingStatus];
registerEnumType(FindingStatus, {
  name: 'FindingStatus',
  description:
    'OPEN: reported and not fixed. RESOLVED: the next successful run of the same producer over the same scope (same task kind, type and input) no longer reported it; it is OPEN again, and `reopened`, if a later run reports it. SUPPRESSED: set by a person; reruns keep it. Runtime alerts are never resolved by absence.',
});
// Plugins take FindingStatus arguments (e.g. Image.vulnerabilities(status:)) through hostGraphqlType('FindingStatus').
registerHostGraphqlType('FindingStatus', FindingStatus);

/** OpenVEX v0.2.0 `not_affected` justifications (persistence's VEX_JUSTIFICATIONS); values are the stored strings. */
export const VexJustification = {
  COMPONENT_NOT_PRESENT: 'component_not_present',
  VULNERABLE_CODE_NOT_PRESENT: 'vulnerable_code_not_present',
  VULNERABLE_CODE_NOT_IN_EXECUTE_PATH: 'vulnerable_code_not_in_execute_path',
  VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY: 'vulnerable_code_cannot_be_controlled_by_adversary',
  INLINE_MITIGATIONS_ALREADY_EXIST: 'inline_mitigations_already_exist',
} as const;
export type VexJustification = (typeof VexJustification)[keyof typeof VexJustification];
registerEnumType(VexJustification, {
  name: 'VexJustification',
  description:
    'Why a suppressed vulnerability does not affect the image: an OpenVEX v0.2.0 `not_affected` justification. OpenVEX has no "false positive" status: a scanner false positive is COMPONENT_NOT_PRESENT or VULNERABLE_CODE_NOT_PRESENT.',
});

@ObjectType({ description: 'Why, by whom and until when a finding is SUPPRESSED. Exported as an OpenVEX `not_affected` statement (vexDocument).' })
export class FindingSuppression {
  @Field(() => String, { nullable: true, description: 'Why it needs no action (at most 1000 characters); null when suppressed without one (older clients).' })
  reason!: string | null;

  @Field(() => VexJustification, { nullable: true })
  justification!: VexJustification | null;

  @Field(() => Date, { nullable: true, description: 'When the suppression lapses and the finding is OPEN again; null: until someone reopens it.' })
  expiresAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Name of the API token that suppressed it.' })
  suppressedBy!: string | null;

  @Field(() => Date, { nullable: true, description: 'When it was suppressed; null for suppressions made before this was recorded.' })
  suppressedAt!: Date | null;
}

@ObjectType({ description: 'A finding of any plugin kind: a vulnerability, a failed control, a runtime alert.' })
export class Finding {
  @Field(() => ID)
  id!: string;

  @Field(() => PluginKind)
  kind!: PluginKind;

  @Field(() => Severity)
  severity!: Severity;

  @Field({ description: 'Advisory id, control id or rule name.' })
  ruleId!: string;

  @Field()
  title!: string;

  @Field({ description: 'What the finding is about: an image digest, Deployment/ns/name, a node ...' })
  target!: string;

  @Field(() => String, { nullable: true, description: 'Where inside the target: a package, a file and line, a field path.' })
  location!: string | null;

  @Field(() => GraphQLJSON, { description: 'Kind-specific detail.' })
  data!: unknown;

  @Field(() => ID, { nullable: true, description: 'The task that last reported it.' })
  taskId!: string | null;

  @Field()
  firstSeenAt!: Date;

  @Field()
  lastSeenAt!: Date;

  @Field(() => FindingStatus)
  status!: FindingStatus;

  @Field(() => Date, { nullable: true, description: 'When it became RESOLVED; null unless RESOLVED.' })
  resolvedAt!: Date | null;

  @Field({ description: 'True while OPEN after having been RESOLVED once: a regression (reopenedAt says when it came back).' })
  reopened!: boolean;

  @Field(() => Date, { nullable: true, description: 'When it was last reported again after being RESOLVED.' })
  reopenedAt!: Date | null;
}

@ObjectType()
export class FindingConnection extends ConnectionType(Finding, 'Finding') {}

@InputType({ description: 'All given fields must match.' })
export class FindingFilter {
  @Field(() => PluginKind, { nullable: true })
  kind?: PluginKind | null;

  @Field(() => [Severity], { nullable: true, description: 'Any of these severities.' })
  severities?: Severity[] | null;

  @Field(() => String, { nullable: true, description: 'Exact target, e.g. an image digest.' })
  target?: string | null;

  @Field(() => ID, { nullable: true })
  taskId?: string | null;

  @Field(() => FindingStatus, { nullable: true })
  status?: FindingStatus | null;
}

/** What findingCounts groups by (the dimensions the host keeps exact counters of). */
export const FindingCountGroupBy = {
  SEVERITY: 'severity',
  KIND: 'kind',
  STATUS: 'status',
  IMAGE: 'target',
} as const;
export type FindingCountGroupBy = (typeof FindingCountGroupBy)[keyof typeof FindingCountGroupBy];
registerEnumType(FindingCountGroupBy, {
  name: 'FindingCountGroupBy',
  description: 'SEVERITY, KIND, STATUS: the value of that field. IMAGE: the finding\'s target (an image id for image findings; a workload or node for the others).',
});

@ObjectType({ description: 'The number of findings in one group of findingCounts.' })
export class FindingCount {
  /** What the group is of (not a GraphQL field): IMAGE groups resolve `image`. */
  groupBy!: FindingCountGroupBy;

  @Field({ description: 'The group: a severity, kind or status name, or a target (an image id) for IMAGE.' })
  key!: string;

  @Field(() => Int)
  count!: number;
}

@ObjectType()
export class FindingCountConnection extends ConnectionType(FindingCount, 'FindingCount') {}
