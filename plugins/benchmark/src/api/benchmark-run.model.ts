import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ConnectionType, Severity, Task, TaskStatus } from '@bulkhead/plugin-sdk/api';
import { BENCHMARK_STATUSES, type BenchmarkStatus as PluginBenchmarkStatus } from '../report';

export const BenchmarkStatus = Object.fromEntries(BENCHMARK_STATUSES.map((s) => [s, s])) as { [K in PluginBenchmarkStatus]: K };
export type BenchmarkStatus = PluginBenchmarkStatus;
registerEnumType(BenchmarkStatus, { name: 'BenchmarkStatus', description: 'Outcome of one control on one target.' });

@ObjectType({ description: 'One control (check) evaluated against one target.' })
export class BenchmarkControl {
  @Field({ description: 'Control or check id as its source names it: a PSS check (`privileged`, `runAsNonRoot`), a CIS control (`5.1.1`) ...' })
  id!: string;

  @Field()
  title!: string;

  @Field(() => BenchmarkStatus)
  status!: BenchmarkStatus;

  @Field(() => Severity)
  severity!: Severity;

  @Field({ description: 'What was checked: `Deployment/ns/name`, a node, a container ...' })
  target!: string;

  @Field({ description: 'Why the control has this status.' })
  message!: string;

  @Field(() => String, { nullable: true })
  remediation!: string | null;

  @Field(() => String, { nullable: true, description: 'The benchmark the control belongs to: pss-restricted, cis-k8s-rbac, cis-docker-1.6.0 ...' })
  benchmark!: string | null;

  @Field(() => String, { nullable: true, description: 'File the target is defined in, relative to the benchmarked path.' })
  file!: string | null;

  @Field(() => Int, { nullable: true, description: "1-based line of the target's document in `file`." })
  line!: number | null;
}

@ObjectType({ description: 'Controls per outcome.' })
export class BenchmarkSummary {
  @Field(() => Int)
  pass!: number;

  @Field(() => Int)
  fail!: number;

  @Field(() => Int)
  warn!: number;

  @Field(() => Int)
  info!: number;

  @Field(() => Int)
  skip!: number;

  @Field(() => Int)
  total!: number;
}

@ObjectType({ description: 'A benchmark task and, once it has SUCCEEDED, its report. FAIL and WARN controls are also findings of kind BENCHMARK.' })
export class BenchmarkRun {
  @Field(() => ID, { description: 'The task id.' })
  id!: string;

  @Field(() => TaskStatus)
  status!: TaskStatus;

  @Field({ description: 'Task type of the benchmark plugin: k8s-manifests, kube-bench, dockerfile ...' })
  type!: string;

  @Field(() => String, { nullable: true, description: 'The profile that maps to this task (e.g. pss-restricted); null for a task submitted with an input no profile produces.' })
  profile!: string | null;

  @Field(() => String, { nullable: true, description: 'What was benchmarked: a manifest path, an image, a node root ...' })
  target!: string | null;

  @Field(() => String, { nullable: true, description: 'Human name of what ran, once finished (e.g. "Kubernetes manifests").' })
  title!: string | null;

  @Field(() => BenchmarkSummary, { nullable: true, description: 'Null until the task has SUCCEEDED.' })
  summary!: BenchmarkSummary | null;

  @Field(() => String, { nullable: true, description: 'Why the task failed or was cancelled.' })
  error!: string | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => Task, { description: 'The underlying task (input, progress, raw result).' })
  task!: Task;

  /** Every control of the report; served by the `controls` field resolver (with its status filter). */
  allControls!: BenchmarkControl[];
}

@ObjectType()
export class BenchmarkRunConnection extends ConnectionType(BenchmarkRun, 'BenchmarkRun') {}
