import { Field, ID, InputType, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ConnectionType, PluginKind, Severity } from '@bulkhead/plugin-sdk/api';

/*
 * GraphQL models of the running workloads (issue 17, part 5): what the cluster inventory stores
 * (cluster_workload, cluster_workload_image), joined with the scans of their running images
 * (cluster_image), the scanner's findings (HostFindings) and the signer's verdicts (the
 * imageSignatures plugin service).
 */

/** Pod Security Standards levels; the values are the stored strings. */
export const PodSecurityLevel = { PRIVILEGED: 'privileged', BASELINE: 'baseline', RESTRICTED: 'restricted' } as const;
export type PodSecurityLevel = (typeof PodSecurityLevel)[keyof typeof PodSecurityLevel];
registerEnumType(PodSecurityLevel, { name: 'PodSecurityLevel', description: 'Pod Security Standards levels, from least to most restrictive.' });

@ObjectType({ description: 'A Kubernetes object in an owner chain.' })
export class WorkloadOwner {
  @Field()
  kind!: string;

  @Field()
  name!: string;

  @Field()
  uid!: string;
}

@ObjectType({ description: 'One container of a workload: the image its spec names and what actually runs.' })
export class WorkloadImage {
  @Field({ description: 'init, container or ephemeral.' })
  containerType!: string;

  @Field()
  container!: string;

  @Field({ description: 'The image reference in the spec (for a controller: its pod template).' })
  image!: string;

  @Field(() => String, { nullable: true, description: 'The manifest digest that runs (containerStatuses[].imageID); null for a controller or a container not started.' })
  digest!: string | null;

  @Field(() => String, { nullable: true, description: 'The repository the running digest was pulled from.' })
  repository!: string | null;

  @Field(() => String, { nullable: true, description: 'The image id (config digest) its scan stored the image under: Image(digest:) and its vulnerabilities; null until scanned.' })
  imageId!: string | null;

  @Field(() => String, { nullable: true, description: 'QUEUED, SUCCEEDED or FAILED: the one scan of this digest in the team; null when none was asked for.' })
  scanStatus!: string | null;

  @Field(() => String, { nullable: true, description: 'Why the scan failed.' })
  scanError!: string | null;

  @Field(() => Boolean, { nullable: true, description: 'True when the signer recorded a valid signature over this digest; false when it recorded none; null when unknown (no digest, or no plugin provides signatures).' })
  signed!: boolean | null;
}

@ObjectType({ description: 'A Pod or workload controller running in a watched cluster.' })
export class Workload {
  @Field(() => ID, { description: 'cluster/uid.' })
  id!: string;

  @Field()
  cluster!: string;

  @Field()
  namespace!: string;

  @Field()
  kind!: string;

  @Field()
  name!: string;

  @Field()
  uid!: string;

  @Field(() => WorkloadOwner, { nullable: true, description: 'The controlling owner (Pod → ReplicaSet).' })
  owner!: WorkloadOwner | null;

  @Field(() => WorkloadOwner, { description: 'The top of the owner chain (Pod → ReplicaSet → Deployment gives the Deployment; itself without owner).' })
  root!: WorkloadOwner;

  @Field(() => PodSecurityLevel, { nullable: true, description: 'The most restrictive Pod Security Standards level its pod (template) satisfies.' })
  podSecurityLevel!: PodSecurityLevel | null;

  @Field()
  serviceAccount!: string;

  @Field({ description: 'Pod phase (Running, Pending, …); empty for controllers.' })
  phase!: string;

  @Field({ description: 'The target its configuration findings are reported on.' })
  target!: string;
}

@ObjectType()
export class WorkloadConnection extends ConnectionType(Workload, 'Workload') {}

@InputType({
  description:
    'Which workloads: every condition given must hold. The image conditions (vulnerability, minSeverity, fixAvailable, signed) must hold for one and the same running image of the workload (a controller runs the images of the pods it owns).',
})
export class WorkloadFilter {
  @Field(() => String, { nullable: true })
  cluster?: string | null;

  @Field(() => String, { nullable: true })
  namespace?: string | null;

  @Field(() => String, { nullable: true, description: 'An advisory id (CVE, GHSA, …): a running image has an OPEN vulnerability finding reported under it.' })
  vulnerability?: string | null;

  @Field(() => Severity, { nullable: true, description: 'A running image has an OPEN vulnerability of at least this severity.' })
  minSeverity?: Severity | null;

  @Field(() => Boolean, { nullable: true, description: 'true: a running image has an OPEN vulnerability with a fixed version; false: one without.' })
  fixAvailable?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'true: a running image has a valid signature recorded by the signer; false: a running image has none.' })
  signed?: boolean | null;

  @Field(() => PodSecurityLevel, { nullable: true, description: 'The most restrictive Pod Security Standards level the workload satisfies is exactly this one.' })
  podSecurityLevel?: PodSecurityLevel | null;

  @Field(() => PluginKind, { nullable: true, description: 'The workload (its configuration checks) or one of its running images (scanner) has an OPEN finding of this kind.' })
  hasFindingKind?: PluginKind | null;

  @Field(() => Boolean, { nullable: true, description: 'Also list Pods and ReplicaSets owned by another workload (default: only the tops of owner chains: Deployments, DaemonSets, bare Pods …).' })
  includeOwned?: boolean | null;
}
