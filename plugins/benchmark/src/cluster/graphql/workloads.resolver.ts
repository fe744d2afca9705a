import { Inject, type Type } from '@nestjs/common';
import { Args, Context, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import {
  HOST_REQUEST_CONTEXT,
  hostGraphqlType,
  PLUGIN_DATABASE,
  sharedGraphqlType,
  type HostImageParent,
  type HostRequestContext,
  type PluginDatabase,
  type SharedVulnerabilityParent,
} from '@bulkhead/plugin-sdk/api';
import { workloadKey, workloadLoaders } from './workload-images';
import type { WorkloadRow } from './workload-query';
import { PodSecurityLevel, Workload, WorkloadConnection, WorkloadFilter, WorkloadImage } from './workload.model';
import { WorkloadsService } from './workloads.service';

/*
 * The correlated workloads queries. Reads need the host's default role for queries (viewer);
 * every read is scoped to the request's team: the plugin's tables by their `team` column, the
 * findings by HostFindings, the signatures by the host's request-scoped services.
 */

const LEVELS = new Set<string>(Object.values(PodSecurityLevel));

export function workloadOf(row: WorkloadRow): Workload {
  return {
    id: workloadKey(row.cluster, row.uid),
    cluster: row.cluster,
    namespace: row.namespace,
    kind: row.kind,
    name: row.name,
    uid: row.uid,
    owner: row.owner_kind && row.owner_name && row.owner_uid ? { kind: row.owner_kind, name: row.owner_name, uid: row.owner_uid } : null,
    root: { kind: row.root_kind, name: row.root_name, uid: row.root_uid },
    podSecurityLevel: row.pod_security_level && LEVELS.has(row.pod_security_level) ? (row.pod_security_level as PodSecurityLevel) : null,
    serviceAccount: row.service_account,
    phase: row.phase,
    target: row.target,
  };
}

@Resolver(() => Workload)
export class WorkloadsResolver {
  constructor(
    private readonly service: WorkloadsService,
    @Inject(PLUGIN_DATABASE) private readonly db: PluginDatabase,
    @Inject(HOST_REQUEST_CONTEXT) private readonly request: HostRequestContext,
  ) {}

  @Query(() => WorkloadConnection, {
    description:
      'Workloads running in the watched clusters, by cluster, namespace, kind and name; with image conditions (vulnerability, minSeverity, fixAvailable, signed) that one running image must meet together, e.g. "running workloads with CVE-X whose image has no valid signature".',
  })
  async workloads(
    @Args('filter', { type: () => WorkloadFilter, nullable: true }) filter?: WorkloadFilter | null,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1 to 500 (default 50).' }) first?: number | null,
    @Args('after', { type: () => String, nullable: true, description: 'endCursor of the previous page.' }) after?: string | null,
  ): Promise<WorkloadConnection> {
    const page = await this.service.list(filter, first, after);
    return {
      edges: page.items.map((row, index) => ({ cursor: page.cursors[index] ?? '', node: workloadOf(row) })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      totalCount: page.totalCount,
    };
  }

  @ResolveField(() => [WorkloadImage], { description: 'Its containers and, for a controller, those of the pods it owns: the image in the spec and what runs (digest, scan, signature).' })
  images(@Parent() workload: Workload, @Context() context: object): Promise<WorkloadImage[]> {
    return workloadLoaders(context, this.db, this.request.requestTeam(), this.service).images.load(workloadKey(workload.cluster, workload.uid));
  }
}

/**
 * `Image.workloads` on the host's Image type: declared when the module is built (an API entry is
 * also loaded without the host, and `@Resolver(() => hostGraphqlType(...))` resolves at once).
 */
export function imageWorkloadsResolver(): Type {
  @Resolver(() => hostGraphqlType('Image'))
  class ImageWorkloadsResolver {
    constructor(
      @Inject(WorkloadsService) private readonly service: WorkloadsService,
      @Inject(PLUGIN_DATABASE) private readonly db: PluginDatabase,
      @Inject(HOST_REQUEST_CONTEXT) private readonly request: HostRequestContext,
    ) {}

    @ResolveField(() => [Workload], { description: 'The top-level workloads of the watched clusters running this image (by the digests its scans linked to it), at most 1,000.' })
    async workloads(@Parent() image: HostImageParent, @Context() context: object): Promise<Workload[]> {
      const rows = await workloadLoaders(context, this.db, this.request.requestTeam(), this.service).workloadsOfImage.load(image.digest);
      return rows.map(workloadOf);
    }
  }
  return ImageWorkloadsResolver;
}

/**
 * `Vulnerability.workloads` on the scanner's shared `Vulnerability` type (when a loaded plugin
 * shares it; undefined otherwise): the workloads running the vulnerable image.
 */
export function vulnerabilityWorkloadsResolver(): Type | undefined {
  const vulnerability: unknown = sharedGraphqlType('Vulnerability');
  if (!vulnerability) return undefined;
  @Resolver(() => vulnerability)
  class VulnerabilityWorkloadsResolver {
    constructor(
      @Inject(WorkloadsService) private readonly service: WorkloadsService,
      @Inject(PLUGIN_DATABASE) private readonly db: PluginDatabase,
      @Inject(HOST_REQUEST_CONTEXT) private readonly request: HostRequestContext,
    ) {}

    @ResolveField(() => [Workload], { description: 'The top-level workloads of the watched clusters running the vulnerable image, at most 1,000 (a page of vulnerabilities is one statement).' })
    async workloads(@Parent() finding: SharedVulnerabilityParent, @Context() context: object): Promise<Workload[]> {
      const rows = await workloadLoaders(context, this.db, this.request.requestTeam(), this.service).workloadsOfImage.load(finding.image);
      return rows.map(workloadOf);
    }
  }
  return VulnerabilityWorkloadsResolver;
}
