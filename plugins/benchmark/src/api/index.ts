import { Module, type DynamicModule } from '@nestjs/common';
import { definePluginApi, type PluginMigration } from '@bulkhead/plugin-sdk/api';
import { z } from 'zod';
import {
  ADMISSION_POLICY,
  ADMISSION_TRUSTED_KEY_MIGRATION,
  AdmissionController,
  AdmissionDecisionsResolver,
  AdmissionDecisionsService,
  AdmissionService,
  AdmissionTrustedKeysResolver,
  AdmissionTrustedKeysService,
  readAdmissionPolicyFile,
} from '../admission';
import { BenchmarkRunsResolver } from './benchmark-runs.resolver';
import { BenchmarkRunsService } from './benchmark-runs.service';
import { imageWorkloadsResolver, vulnerabilityWorkloadsResolver, WorkloadsResolver, WorkloadsService } from '../cluster/graphql';
import { CLUSTER_IMAGE_MIGRATION, CLUSTER_WORKLOAD_OWNER_INDEX_MIGRATION } from '../cluster/images-store';
import { CLUSTER_PULL_ACCESS_MIGRATION } from '../cluster/images-pull-secrets';
import { clusterMigrations } from '../cluster/migrations';

/*
 * `@bulkhead/plugin-benchmark/api`: the benchmark plugin's part of the API process — the
 * runBenchmark mutation and the benchmarkRun / benchmarkRuns queries — built on the SDK's host
 * capabilities only (tasks, the plugin's own table), never on the platform's libraries — and,
 * when BULKHEAD_ADMISSION_POLICY_FILE is set, the Kubernetes admission webhook
 * (`POST /admission/validate`), which lives here because it judges pods by this plugin's Pod
 * Security Standards checks.
 */

export { BenchmarkControl, BenchmarkRun, BenchmarkRunConnection, BenchmarkStatus, BenchmarkSummary } from './benchmark-run.model';
export { BenchmarkRunsService } from './benchmark-runs.service';

/** The runs' requests (profile and target), keyed by the task runBenchmark submitted. */
export const benchmarkApiMigrations: readonly PluginMigration[] = [
  {
    id: '0001-benchmark-run',
    up: async (db) => {
      await db.query(
        `CREATE TABLE benchmark_run (task_id uuid PRIMARY KEY, profile text NOT NULL, target text NOT NULL, created_at timestamptz(3) NOT NULL DEFAULT now())`,
      );
    },
  },
  {
    // Team scoping: a run belongs to the team of the request that submitted it (rows older than
    // teams: the team `default`), and its key includes the team.
    id: '0002-benchmark-run-team',
    up: async (db) => {
      await db.query(`ALTER TABLE benchmark_run ADD team text NOT NULL DEFAULT 'default'`);
      await db.query(`ALTER TABLE benchmark_run DROP CONSTRAINT benchmark_run_pkey, ADD PRIMARY KEY (team, task_id)`);
    },
  },
  {
    // What the admission webhook denied, would have denied (dry-run) or could not decide.
    id: '0003-admission-decision',
    up: async (db) => {
      await db.query(
        `CREATE TABLE admission_decision (id bigserial PRIMARY KEY, team text NOT NULL, at timestamptz(3) NOT NULL DEFAULT now(), uid text NOT NULL, kind text NOT NULL, namespace text NOT NULL, name text NOT NULL, operation text NOT NULL, outcome text NOT NULL, allowed boolean NOT NULL, reasons jsonb NOT NULL)`,
      );
      await db.query(`CREATE INDEX admission_decision_team_at ON admission_decision (team, at DESC)`);
    },
  },
  {
    // admissionDecisions pages newest first on (at, id), with or without a namespace.
    id: '0004-admission-decision-keyset',
    up: async (db) => {
      await db.query(`CREATE INDEX admission_decision_team_at_id ON admission_decision (team, at DESC, id DESC)`);
      await db.query(`CREATE INDEX admission_decision_team_namespace_at_id ON admission_decision (team, namespace, at DESC, id DESC)`);
      await db.query(`DROP INDEX admission_decision_team_at`);
    },
  },
  ...clusterMigrations, // the cluster inventory's tables: src/cluster/migrations.ts
  CLUSTER_IMAGE_MIGRATION, // the scans of running images (cluster/images-store.ts)
  CLUSTER_PULL_ACCESS_MIGRATION, // how to read pull secrets at pull time (cluster/images-pull-secrets.ts)
  CLUSTER_WORKLOAD_OWNER_INDEX_MIGRATION, // owner lookups of the workloads query (cluster/images-store.ts)
  ADMISSION_TRUSTED_KEY_MIGRATION, // keys a team's admins trust for the webhook's signature rule (admission/trusted-keys.service.ts)
];

const benchmarkApiConfig = z.object({
  /** The admission policy (JSON); unset: no admission webhook. */
  BULKHEAD_ADMISSION_POLICY_FILE: z.string().min(1).optional(),
});

@Module({})
export class BenchmarkApiModule {}

export const benchmarkApi = definePluginApi({
  config: benchmarkApiConfig,
  migrations: benchmarkApiMigrations,
  // A bad policy file (or one asking for a rule it cannot enforce) stops start-up, naming the problem.
  module: ({ config }): DynamicModule => {
    const policyFile = config.BULKHEAD_ADMISSION_POLICY_FILE;
    // Recorded decisions stay readable when the webhook is switched off. The running workloads
    // (src/cluster/graphql); Vulnerability.workloads only when a loaded plugin shares that type.
    const vulnerabilityWorkloads = vulnerabilityWorkloadsResolver();
    const runs = [
      BenchmarkRunsService,
      BenchmarkRunsResolver,
      AdmissionDecisionsService,
      AdmissionDecisionsResolver,
      // Listed (FILE keys, the team's API keys) whether or not the webhook is on; adding needs the policy's apiTrustedKeys.
      AdmissionTrustedKeysService,
      AdmissionTrustedKeysResolver,
      WorkloadsService,
      WorkloadsResolver,
      imageWorkloadsResolver(),
      ...(vulnerabilityWorkloads ? [vulnerabilityWorkloads] : []),
    ];
    if (!policyFile) return { module: BenchmarkApiModule, providers: runs };
    return {
      module: BenchmarkApiModule,
      providers: [...runs, { provide: ADMISSION_POLICY, useValue: readAdmissionPolicyFile(policyFile) }, AdmissionService],
      controllers: [AdmissionController],
    };
  },
});

export default benchmarkApi;
