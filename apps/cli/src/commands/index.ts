import type { Command } from 'commander';
import type { CliHost } from '@bulkhead/plugin-sdk/cli';
import type { CliIo } from '../cli-io';
import { registerMigrateCommand } from './migrate.command';
import { registerProbeCommand } from './probe.command';
import { registerRegistryCommands } from './registry.command';
import { registerRunCommand } from './run.command';
import { registerServeCommand } from './serve.command';
import { registerTokenCommand } from './token.command';

/**
 * The commands of `bulkhead` itself (the platform, and running any task); every other command
 * (`scan`, `bench`, `runtime`, ...) comes from a plugin package's `cli` entry.
 */
export function registerCoreCommands(program: Command, io: CliIo, host: CliHost, done: (code: number) => void): void {
  registerServeCommand(program, io, done);
  registerMigrateCommand(program, io, done);
  registerTokenCommand(program, io, done);
  registerRunCommand(program, host);
  registerRegistryCommands(program, io, done);
  registerProbeCommand(program, host);
}
