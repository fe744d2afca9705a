import type { Command } from 'commander';
import { ExitCode, type CliIo } from '../cli-io';

export function registerMigrateCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command('migrate')
    .description('apply pending database migrations to DATABASE_URL / DATABASE_SCHEMA and exit')
    .action(async () => {
      const { loadWorkerConfig } = await import('@bulkhead/worker');
      const { connectDatabase, redactUrl, runMigrations } = await import('@bulkhead/persistence');
      const config = loadWorkerConfig();
      const dataSource = await connectDatabase({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
      try {
        const ran = await runMigrations(dataSource);
        const where = `${redactUrl(config.DATABASE_URL)} (schema ${config.DATABASE_SCHEMA})`;
        io.out(ran.length ? `applied ${ran.length} migration(s) to ${where}:\n  ${ran.join('\n  ')}` : `${where} is up to date`);
      } finally {
        await dataSource.destroy();
      }
      done(ExitCode.ok);
    });
}
