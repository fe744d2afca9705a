import { Command } from 'commander';
import { CliError, EXIT_CODES } from '@bulkhead/plugin-sdk/cli';
import { testCliHost } from '../testing/cli-host';
import cli from './cli-entry';

/**
 * The signer's command lines: bad combinations are usage errors (exit 2) named by their option,
 * before any key is read or registry contacted. (Exit 0 / 1 of the commands themselves are in the
 * registry int-specs.)
 */
async function run(argv: string[]): Promise<{ error?: unknown }> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  const host = testCliHost();
  for (const command of cli.commands) {
    const sub = program.command(command.name).description(command.description).exitOverride();
    command.register(sub, host);
  }
  try {
    await program.parseAsync(['node', 'bulkhead', ...argv]);
    return {};
  } catch (error) {
    return { error };
  }
}

describe('signer command lines', () => {
  it('lists keygen, sign, verify, attest, verify-attestation and gate', () => {
    expect(cli.commands.map((c) => c.name)).toEqual(expect.arrayContaining(['keygen', 'sign', 'verify', 'attest', 'verify-attestation', 'gate']));
  });

  it.each([
    ['sign r --key k --signature-format xml', /--signature-format "xml": expected legacy or bundle/],
    ['sign r --key k --notation', /--notation needs --cert FILE/],
    ['sign r --key k --notation --cert c --envelope-type pdf', /--envelope-type "pdf": expected jws or cose/],
    ['sign r --key k --notation --cert c -a x=y', /not with --notation/],
    ['sign r --key k --cert c', /--cert signs only with --notation/],
    ['verify r', /give one of --key FILE or --cert FILE/],
    ['verify r --key a --cert b', /give one of --key FILE or --cert FILE/],
    ['verify r --key a --format xml', /--format "xml": expected text or json/],
    ['verify-attestation r --key a --format xml', /--format "xml": expected text or json/],
    ['gate r --policy p --format table', /--format "table": expected text or json/],
    ['verify r --notation --trust-policy p', /--notation needs --trust-policy FILE and --trust-store DIR/],
    ['verify-attestation r', /give one of --key FILE or --cert FILE/],
    ['attest r --predicate p --type cyclonedx --key k --signature-format x', /--signature-format "x"/],
  ])('%s is a usage error', async (line, message) => {
    const { error } = await run(line.split(' '));
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT_CODES.usage);
    expect((error as Error).message).toMatch(message);
  });

  it.each(['sign r', 'attest r --type cyclonedx --key k', 'keygen extra'])('%s: commander refuses it (missing option or argument)', async (line) => {
    const { error } = await run(line.split(' '));
    expect((error as { code?: string }).code).toMatch(/^commander\./);
  });
});
