import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { pageRequest, RequireRole, Task } from '@bulkhead/plugin-sdk/api';
import { BenchmarkControl, BenchmarkRun, BenchmarkRunConnection, BenchmarkStatus } from './benchmark-run.model';
import { BenchmarkRunsService } from './benchmark-runs.service';

@Resolver(() => BenchmarkRun)
export class BenchmarkRunsResolver {
  constructor(private readonly benchmarks: BenchmarkRunsService) {}

  @RequireRole('operator')
  @Mutation(() => Task, {
    description:
      'Runs a benchmark profile against a target on a worker: pss-baseline / pss-restricted[@v1.N], k8s-rbac, k8s-netpol, k8s-manifests[@restricted] (target: manifest file or directory), kube-bench@<benchmark> (target: node root), cis-docker-image (image), cis-docker-container (inspect JSON), dockerfile. An unknown profile is BAD_USER_INPUT listing the profiles.',
  })
  runBenchmark(@Args('target') target: string, @Args('profile') profile: string): Promise<Task> {
    return this.benchmarks.run(target, profile);
  }

  @Query(() => BenchmarkRun, { nullable: true, description: 'A benchmark run by task id; null when there is no benchmark task with that id.' })
  benchmarkRun(@Args('id', { type: () => ID }) id: string): Promise<BenchmarkRun | null> {
    return this.benchmarks.get(id);
  }

  @Query(() => BenchmarkRunConnection, { description: 'Benchmark runs, newest first.' })
  benchmarkRuns(
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1 to 500 (default 50).' }) first?: number | null,
    @Args('after', { type: () => String, nullable: true, description: 'endCursor of the previous page.' }) after?: string | null,
  ): Promise<BenchmarkRunConnection> {
    return this.benchmarks.list(pageRequest(first, after));
  }

  @ResolveField(() => [BenchmarkControl], { description: 'The controls of the report, in report order (empty until the task has SUCCEEDED).' })
  controls(
    @Parent() run: BenchmarkRun,
    @Args('status', { type: () => [BenchmarkStatus], nullable: true, description: 'Only controls with one of these outcomes.' }) status?: BenchmarkStatus[] | null,
  ): BenchmarkControl[] {
    return status?.length ? run.allControls.filter((control) => status.includes(control.status)) : run.allControls;
  }
}
