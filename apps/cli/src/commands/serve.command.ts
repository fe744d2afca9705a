import type { Command } from 'commander';
import { ExitCode, type CliIo } from '../cli-io';
import { SERVE_ROLES, type ServeOptions } from '../platform/serve-options';

export function registerServeCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command('serve')
    .description('run the platform: GraphQL API and worker in one process (or one role of it)')
    .option('-p, --port <port>', 'API port (default: PORT or 4000)')
    .option('--host <host>', 'API bind address (default: HOST or 127.0.0.1, loopback only)')
    .option('--role <role>', `what to run: ${SERVE_ROLES.join(', ')}`, 'all')
    .addHelpText(
      'after',
      '\nConfiguration comes from the environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),\n' +
        'DATABASE_SCHEMA (default bulkhead), REDIS_URL (default redis://127.0.0.1:6379), BULKHEAD_PLUGINS, WORKER_CONCURRENCY_<KIND>.\n' +
        'No Postgres or Redis at hand? docker compose -f docker/compose.yaml up -d postgres redis',
    )
    .action(async (options: ServeOptions) => {
      // Loaded on demand: NestJS, TypeORM and BullMQ are not needed by the other commands.
      const { serve } = await import('../platform/serve');
      // Runs until a signal stops it; the signal handlers exit the process.
      await serve(options, io);
      done(ExitCode.ok);
    });
}

