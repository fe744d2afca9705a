import type { Command } from 'commander';
import { ExitCode, type CliIo } from '../cli-io';

export function registerMigrateCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command('migrate')
    .description('apply pending database migrations to DATABASE_URL / DATABASE_SCHEMA and exit')
    .action(async () => {
      const { migrate } = await import('../platform/migrate');
      io.out(await migrate());
      done(ExitCode.ok);
    });
}
