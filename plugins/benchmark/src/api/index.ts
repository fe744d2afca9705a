import { Module } from '@nestjs/common';
import { definePluginApi, type PluginMigration } from '@bulkhead/plugin-sdk/api';
import { BenchmarkRunsResolver } from './benchmark-runs.resolver';
import { BenchmarkRunsService } from './benchmark-runs.service';

/*
 * `@bulkhead/plugin-benchmark/api`: the benchmark plugin's part of the API process — the
 * runBenchmark mutation and the benchmarkRun / benchmarkRuns queries — built on the SDK's host
 * capabilities only (tasks, the plugin's own table), never on the platform's libraries.
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
];

@Module({ providers: [BenchmarkRunsService, BenchmarkRunsResolver] })
export class BenchmarkApiModule {}

export const benchmarkApi = definePluginApi({
  migrations: benchmarkApiMigrations,
  module: () => BenchmarkApiModule,
});

export default benchmarkApi;
