import { Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import { ConnectionType } from '@bulkhead/plugin-sdk/api';
import { PluginKind, Severity } from '../graphql/enums';
import { GraphQLJSON } from '@bulkhead/plugin-sdk/api';

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
}
