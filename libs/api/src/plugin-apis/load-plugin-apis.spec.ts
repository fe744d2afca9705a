import { ConfigError } from '@bulkhead/common';
import { definePlugin } from '@bulkhead/plugin-sdk';
import type { PluginApi } from '@bulkhead/plugin-sdk/api';
import { z } from 'zod';
import { ApiStartupError } from '../startup/startup-error';
import { loadPluginApis, pluginNestModules, type ApiPluginPackage } from './load-plugin-apis';
import { silentLogger } from '../testing/silent-logger';

const plugin = (id: string) => definePlugin({ manifest: { id, version: '1.0.0', kind: 'signer', phases: ['ship'], description: 'test' }, tasks: [] });
const pkg = (id: string, api: unknown): ApiPluginPackage => ({ name: `pkg-${id}`, plugin: plugin(id), loadApi: async () => api as PluginApi | undefined });
class SomeModule {}

describe('loadPluginApis', () => {
  it('skips packages without an api entry and validates each config against the environment', async () => {
    const config = z.object({ ACME_LIMIT: z.coerce.number().int().min(1).default(5), ACME_NAME: z.string().min(1) });
    const loaded = await loadPluginApis([pkg('acme.none', undefined), pkg('acme.a', { config, module: () => SomeModule })], { ACME_NAME: 'x', ACME_LIMIT: '9' });
    expect(loaded).toHaveLength(1);
    expect(loaded[0]).toMatchObject({ pluginId: 'acme.a', packageName: 'pkg-acme.a', config: { ACME_LIMIT: 9, ACME_NAME: 'x' } });
  });

  it('reports every bad or missing variable of every plugin at once, naming plugin and variable', async () => {
    const a = { config: z.object({ ACME_LIMIT: z.coerce.number().int().min(1) }), module: () => SomeModule };
    const b = { config: z.object({ OTHER_URL: z.url() }), module: () => SomeModule };
    const error = await loadPluginApis([pkg('acme.a', a), pkg('acme.b', b)], { ACME_LIMIT: '0', OTHER_URL: 'not a url' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/^invalid plugin configuration:\n {2}plugin acme\.a: ACME_LIMIT="0": .+\n {2}plugin acme\.b: OTHER_URL="not a url": .+$/);
    const missing = await loadPluginApis([pkg('acme.a', a)], {}).catch((e: unknown) => e);
    expect((missing as Error).message).toMatch(/ACME_LIMIT: /);
  });

  it('refuses an api entry of the wrong shape, naming plugin and package', async () => {
    await expect(loadPluginApis([pkg('acme.x', { module: 'no' })], {})).rejects.toThrow(/plugin acme\.x \(package pkg-acme\.x\): its api entry has no module\(\) function/);
    await expect(loadPluginApis([pkg('acme.y', { module: () => SomeModule, config: { A: 1 } })], {})).rejects.toThrow(/`config` is not a zod object schema/);
    await expect(loadPluginApis([pkg('acme.z', { module: () => SomeModule, migrations: [{ id: 'a', up: async () => undefined }, { id: 'a', up: async () => undefined }] })], {})).rejects.toThrow(
      ApiStartupError,
    );
  });
});

describe('pluginNestModules', () => {
  it('accepts a module class or a DynamicModule and refuses anything else', async () => {
    const loaded = await loadPluginApis([pkg('acme.class', { module: () => SomeModule }), pkg('acme.dynamic', { module: () => ({ module: SomeModule, providers: [] }) })], {});
    expect(pluginNestModules(loaded, silentLogger())).toEqual([SomeModule, { module: SomeModule, providers: [] }]);
    const bad = await loadPluginApis([pkg('acme.bad', { module: () => 42 })], {});
    expect(() => pluginNestModules(bad, silentLogger())).toThrow(/plugin acme\.bad .*module\(\) returned neither a Nest module class nor a DynamicModule/);
  });
});
