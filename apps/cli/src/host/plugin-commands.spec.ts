import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import type { PluginPackage } from '@bulkhead/builtin-plugins';
import { definePlugin } from '@bulkhead/plugin-sdk';
import { definePluginCli, type CliHost, type PluginCli } from '@bulkhead/plugin-sdk/cli';
import { createCliHost } from './cli-host';
import { registerPluginCommands } from './plugin-commands';

function pkg(name: string, cli: PluginCli | undefined): PluginPackage {
  const plugin = definePlugin({ manifest: { id: name.replace(/[^a-z0-9.-]/g, ''), version: '1.0.0', kind: 'scanner', phases: ['build'], description: 'test' }, tasks: [] });
  return { name, plugin, loadApi: async () => undefined, loadCli: async () => cli };
}

const command = (name: string, said: string[]) =>
  definePluginCli({ commands: [{ name, description: `the ${name} command`, register: (c, host: CliHost) => void c.action(() => host.out(`${name} ran`)).hook('preAction', () => void said.push(name)) }] });

describe('registerPluginCommands', () => {
  it("adds every package's commands to the program", async () => {
    const program = new Command('bulkhead').exitOverride();
    const out: string[] = [];
    const said: string[] = [];
    await registerPluginCommands(program, [pkg('acme-a', command('alpha', said)), pkg('acme-none', undefined)], createCliHost({ out: (t) => out.push(t), err: () => undefined }, () => undefined));
    await program.parseAsync(['alpha'], { from: 'user' });
    expect(out).toEqual(['alpha ran']);
    expect(program.commands.map((c) => [c.name(), c.description()])).toEqual([['alpha', 'the alpha command']]);
  });

  it('stops on a command contributed twice, naming both contributors', async () => {
    const host = createCliHost({ out: () => undefined, err: () => undefined }, () => undefined);
    await expect(registerPluginCommands(new Command('bulkhead'), [pkg('acme-a', command('scan', [])), pkg('@other/b', command('scan', []))], host)).rejects.toThrow(
      'the command "scan" is contributed by both plugin package acme-a and plugin package @other/b',
    );
    const program = new Command('bulkhead');
    program.command('serve');
    await expect(registerPluginCommands(program, [pkg('acme-a', command('serve', []))], host)).rejects.toThrow(
      'the command "serve" is contributed by both the bulkhead CLI itself and plugin package acme-a',
    );
  });
});

describe('apps/cli', () => {
  it('imports no plugin by name (their commands come from their cli entries)', () => {
    const files = readdirSync(path.join(__dirname, '..'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('spec.ts'));
    const offenders = files.filter((f) => /from '@bulkhead\/plugin-(?!sdk)/.test(readFileSync(path.join(__dirname, '..', f), 'utf8')));
    expect(files.length).toBeGreaterThan(5);
    expect(offenders).toEqual([]);
  });
});
