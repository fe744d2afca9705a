import type { Command } from 'commander';
import type { CliIo } from '../cli-io';
import { registerScanCommand } from './scan.command';

/** Every top-level command of `bulkhead`; each lives in its own module. */
export function registerCommands(program: Command, io: CliIo, done: (code: number) => void): void {
  registerScanCommand(program, io, done);
}
