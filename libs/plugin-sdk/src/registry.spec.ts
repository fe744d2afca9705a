import { z } from 'zod';
import { definePlugin, defineTask, PluginRegistry, parseTaskInput, TaskInputError, type BulkheadPlugin } from './index';

function plugin(id: string, taskTypes: string[], kind: 'scanner' | 'runtime' = 'scanner'): BulkheadPlugin {
  return definePlugin({
    manifest: { id, version: '1.0.0', kind, phases: ['build'], description: 'test plugin' },
    tasks: taskTypes.map((type) =>
      defineTask({ type, description: type, input: z.object({ target: z.string().min(1) }), run: async (input) => input.target }),
    ),
  });
}

describe('PluginRegistry', () => {
  it('finds a task by kind and type', () => {
    const registry = new PluginRegistry([plugin('a', ['scan-image'])]);
    expect(registry.requireTask('scanner', 'scan-image').plugin.manifest.id).toBe('a');
    expect(registry.findTask('runtime', 'scan-image')).toBeUndefined();
  });

  it('refuses a plugin id registered twice', () => {
    expect(() => new PluginRegistry([plugin('a', ['x']), plugin('a', ['y'])])).toThrow('plugin id a is registered twice');
  });

  it('refuses two handlers for the same task and leaves the registry unchanged', () => {
    const registry = new PluginRegistry([plugin('a', ['scan-image'])]);
    expect(() => registry.register(plugin('b', ['other', 'scan-image']))).toThrow(/already handled by plugin a/);
    expect(registry.get('b')).toBeUndefined();
    expect(registry.findTask('scanner', 'other')).toBeUndefined();
  });

  it('instantiates a provided service for the caller\'s team and refuses a second provider', async () => {
    const queries: unknown[][] = [];
    const database = { query: async (_sql: string, parameters?: readonly unknown[]) => (queries.push([...(parameters ?? [])]), []), transaction: async () => undefined as never };
    const provider: BulkheadPlugin = {
      ...plugin('signer', ['sign'], 'scanner'),
      provides: { imageSignatures: ({ database: db, team }) => ({ forDigests: async (digests) => (await db.query('SELECT', [team, digests]), []) }) },
    };
    const registry = new PluginRegistry([plugin('a', ['scan-image']), provider]);
    expect(registry.provider('imageSignatures')?.manifest.id).toBe('signer');
    const services = registry.services({ database, team: 'team-a' });
    await services.imageSignatures?.forDigests(['sha256:1']);
    expect(queries).toEqual([['team-a', ['sha256:1']]]);
    expect(new PluginRegistry([plugin('a', ['x'])]).services({ database, team: 't' }).imageSignatures).toBeUndefined();
    expect(() => registry.register({ ...plugin('other', ['y'], 'runtime'), provides: provider.provides })).toThrow('service imageSignatures of plugin other is already provided by plugin signer');
  });

  it('refuses a plugin providing a service the SDK does not know, or no factory, naming it', () => {
    const unknown = { ...plugin('p', ['x']), provides: { imageSignaturez: () => ({}) } } as unknown as BulkheadPlugin;
    expect(() => new PluginRegistry([unknown])).toThrow('invalid plugin p: provides.imageSignaturez is not a known service (known: imageSignatures)');
    const notFactory = { ...plugin('q', ['x']), provides: { imageSignatures: 'yes' } } as unknown as BulkheadPlugin;
    expect(() => new PluginRegistry([notFactory])).toThrow('invalid plugin q: provides.imageSignatures is not a factory function');
  });

  it('allows the same task type in different kinds', () => {
    const registry = new PluginRegistry([plugin('a', ['run']), plugin('b', ['run'], 'runtime')]);
    expect(registry.requireTask('runtime', 'run').plugin.manifest.id).toBe('b');
  });

  it('names the missing task and what is available', () => {
    const registry = new PluginRegistry([plugin('a', ['scan-image'])]);
    expect(() => registry.requireTask('scanner', 'nope')).toThrow('no scanner plugin handles task type "nope" (available: scan-image)');
  });

  it('rejects a malformed manifest at definition time', () => {
    expect(() => definePlugin({ manifest: { id: 'Bad Id', version: 'x', kind: 'scanner', phases: [], description: '' }, tasks: [] })).toThrow(
      /manifest.id .* manifest.version .* manifest.phases/,
    );
  });

  it('checks manifest.version against semver', () => {
    const withVersion = (version: string) => () =>
      definePlugin({ manifest: { id: 'acme.check', version, kind: 'scanner', phases: ['build'], description: 'd' }, tasks: [] });
    for (const good of ['1.0.0', '0.1.0-rc.1', '2.3.4+build.5', '1.0.0-alpha+001']) expect(withVersion(good)).not.toThrow();
    for (const bad of ['1.0', 'v1.0.0', '01.0.0', '1.0.0-01', ' 1.0.0', '1.0.0 ']) expect(withVersion(bad)).toThrow(/manifest.version .* is not semver/);
  });
});

describe('parseTaskInput', () => {
  it('returns parsed input and names bad fields', () => {
    const { definition } = new PluginRegistry([plugin('a', ['scan-image'])]).requireTask('scanner', 'scan-image');
    expect(parseTaskInput(definition, { target: 'oci:/x' })).toEqual({ target: 'oci:/x' });
    expect(() => parseTaskInput(definition, { target: 3 })).toThrow(TaskInputError);
    expect(() => parseTaskInput(definition, {})).toThrow(/invalid input for task scan-image: target: /);
  });
});
