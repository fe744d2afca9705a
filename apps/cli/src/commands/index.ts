import type { Command } from 'commander';
import type { CliIo } from '../cli-io';
import { registerBenchCommand } from './bench.command';
import { registerRuntimeCommand } from './runtime.command';
import { registerMigrateCommand } from './migrate.command';
import { registerScanCommand } from './scan.command';
import { registerServeCommand } from './serve.command';

/** Every top-level command of `bulkhead`; each lives in its own module. */
export function registerCommands(program: Command, io: CliIo, done: (code: number) => void): void {
  registerScanCommand(program, io, done);
  registerServeCommand(program, io, done);
  registerMigrateCommand(program, io, done);
  registerBenchCommand(program, io, done);
  registerRuntimeCommand(program, io, done);
}
