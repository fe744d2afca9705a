import type { Command } from 'commander';
import { ExitCode, printNotice, type CliIo } from '../cli-io';

export function registerTokenCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  const token = program
    .command('token')
    .description('manage API tokens in the database (DATABASE_URL / DATABASE_SCHEMA, like migrate)')
    .addHelpText('after', '\nSend a token to the API as `Authorization: Bearer <secret>`, or with --token / BULKHEAD_TOKEN on commands that use --server.');
  token
    .command('create')
    .description('create a token and print its secret (shown only now) on stdout')
    .requiredOption('--team <team>', 'the team (tenant) whose data the token sees, e.g. default')
    .requiredOption('--role <role>', 'viewer, operator or admin')
    .option('--name <name>', 'a name for lists and the audit log (default <team>-<role>)')
    .option('--expires <duration>', 'lifetime such as 30d, 12h or 90m (default: never expires)')
    .action(async (options: { team: string; role: string; name?: string; expires?: string }) => {
      const { createToken } = await import('../platform/tokens');
      const created = await createToken(options);
      io.out(created.secret);
      printNotice(io, created.description);
      done(ExitCode.ok);
    });
  token
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--team <team>', 'only this team')
    .action(async (options: { team?: string }) => {
      const { listTokens } = await import('../platform/tokens');
      io.out(await listTokens(options.team));
      done(ExitCode.ok);
    });
  token
    .command('revoke')
    .description('revoke a token at once')
    .argument('<id>', 'the token id (bulkhead token list)')
    .action(async (id: string) => {
      const { revokeToken } = await import('../platform/tokens');
      io.out(await revokeToken(id));
      done(ExitCode.ok);
    });
}
