import { Field, ID, InputType, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ConnectionType, GraphQLJSON, Severity } from '@bulkhead/plugin-sdk/api';
import { PRIORITIES, type Priority } from '../../engine/priority';
import type { AlertFilterInput } from './alert-filter';

/*
 * The GraphQL surface of runtime alerts. Type and field names are the API's contract with its
 * clients: they were the same when this lived in the host (libs/api) and must stay so.
 */

/** Falco priorities; the enum values are Falco's own spelling (`Warning`), as stored in alerts. */
export const FalcoPriority = Object.fromEntries(PRIORITIES.map((p) => [p.toUpperCase(), p])) as { [K in Priority as Uppercase<K>]: K };
export type FalcoPriority = Priority;
registerEnumType(FalcoPriority, { name: 'FalcoPriority', description: 'Falco rule priorities, most severe first: EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL, DEBUG.' });

@ObjectType({ description: "A runtime alert in Falco's JSON output shape, stored as a finding of kind RUNTIME." })
export class Alert {
  @Field(() => ID, { description: 'Id of the finding that stores the alert.' })
  id!: string;

  @Field({ description: 'The rendered output line, as Falco prints it.' })
  output!: string;

  @Field(() => FalcoPriority)
  priority!: FalcoPriority;

  @Field({ description: 'Name of the rule that raised the alert.' })
  rule!: string;

  @Field({ description: 'When the event happened: RFC 3339, UTC, nanoseconds (Falco `time`).' })
  time!: string;

  @Field(() => GraphQLJSON, { description: 'The fields the rule output names, e.g. {"k8s.ns.name": "default"} (Falco `output_fields`).' })
  outputFields!: Record<string, unknown>;

  @Field({ description: 'Event source: syscall or k8s_audit.' })
  source!: string;

  @Field(() => [String])
  tags!: string[];

  @Field(() => String, { nullable: true, description: 'The host (or API replica) that raised it.' })
  hostname!: string | null;

  @Field(() => Severity, { description: 'The finding severity the priority maps to.' })
  severity!: Severity;

  @Field({ description: 'What the alert is about: container:<id>, pod:<ns>/<name>, k8s-user:<name> or host:<name>.' })
  target!: string;

  @Field({ description: 'First time this alert was received.' })
  firstSeenAt!: Date;

  @Field({ description: 'Last time this alert was received (a re-sent alert moves it, and adds no row).' })
  lastSeenAt!: Date;
}

@ObjectType()
export class AlertConnection extends ConnectionType(Alert, 'Alert') {}

@InputType({ description: 'All given fields must match.' })
export class AlertFilter implements AlertFilterInput {
  @Field(() => String, { nullable: true, description: 'Exact rule name.' })
  rule?: string | null;

  @Field(() => FalcoPriority, { nullable: true, description: 'Minimum priority: this priority or a more severe one (WARNING matches WARNING, ERROR, CRITICAL, ALERT, EMERGENCY).' })
  priority?: FalcoPriority | null;

  @Field(() => String, {
    nullable: true,
    description: 'Container image: the repository (`docker.io/library/nginx`, output field container.image.repository) or the full reference (`nginx:1.25`, container.image).',
  })
  image?: string | null;

  @Field(() => String, { nullable: true, description: 'Kubernetes namespace (output field k8s.ns.name, or ka.target.namespace for audit alerts).' })
  namespace?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Kubernetes pod name, exact (output field k8s.pod.name): syscall alerts only, audit alerts name their object for every resource kind.',
  })
  pod?: string | null;

  @Field(() => Date, { nullable: true, description: 'Alerts whose time is at or after this instant.' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Alerts whose time is before this instant.' })
  to?: Date | null;
}
