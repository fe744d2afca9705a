import 'reflect-metadata';
import { loadApiConfig, startApi, type ApiHandle, type ApiPluginPackage } from '@bulkhead/api';
import { createTestToken, graphql, silentLogger } from '@bulkhead/api/testing';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { definePlugin, defineTask, PluginRegistry } from '@bulkhead/plugin-sdk';
import { definePluginApi, RequireRole, type PluginApi } from '@bulkhead/plugin-sdk/api';
import { createRedis, deleteKeysWithPrefix } from '@bulkhead/queue';
import { Module } from '@nestjs/common';
import { Field, ObjectType, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { z } from 'zod';

/*
 * Field-level RequireRole (issue 8): a plugin marks one field of its object type admin-only; the
 * host's guard enforces it on that field wherever the type is returned, while the rest of the
 * answer is served to lower roles.
 */
jest.setTimeout(60_000);

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

const vaultPlugin = definePlugin({
  manifest: { id: 'acme.vault', version: '1.0.0', kind: 'signer', phases: ['ship'], description: 'field access fixture' },
  tasks: [defineTask({ type: 'vault-noop', description: 'does nothing', input: z.object({}), run: async () => null })],
});

@ObjectType('AcmeVaultItem')
class VaultItem {
  @Field()
  name!: string;
}

@Resolver(() => VaultItem)
class VaultResolver {
  @Query(() => [VaultItem])
  acmeVaultItems(): VaultItem[] {
    return [{ name: 'signing-key' }, { name: 'webhook' }];
  }

  /** Admin-only: the rest of the item is for every viewer. */
  @ResolveField(() => String, { nullable: true })
  @RequireRole('admin')
  secretNote(@Parent() item: VaultItem): string {
    return `secret of ${item.name}`;
  }

  /** Marked operator. */
  @ResolveField(() => String, { nullable: true })
  @RequireRole('operator')
  rotationPlan(@Parent() item: VaultItem): string {
    return `rotate ${item.name}`;
  }

  /** Unmarked: viewer, like the query that returns it. */
  @ResolveField(() => Number)
  length(@Parent() item: VaultItem): number {
    return item.name.length;
  }
}

@Module({})
class VaultModule {}

const vaultApi = definePluginApi({ module: () => ({ module: VaultModule, providers: [VaultResolver] }) });
const vaultPackage: ApiPluginPackage = { name: 'acme-vault', plugin: vaultPlugin, loadApi: async () => vaultApi as unknown as PluginApi };

let db: TestDatabase;
let api: ApiHandle;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDatabase('api_field_access');
  const config = loadApiConfig({ DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: db.schema });
  api = await startApi({ config, registry: new PluginRegistry([vaultPlugin]), plugins: [vaultPackage], dataSource: db.dataSource, port: 0, host: '127.0.0.1', logger: silentLogger() });
  for (const role of ['viewer', 'operator', 'admin'] as const) tokens[role] = (await createTestToken(db.dataSource, role)).secret;
});

afterAll(async () => {
  await api?.close();
  await db?.drop();
  const redis = createRedis(REDIS_URL, 'producer');
  await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
});

const QUERY = '{ acmeVaultItems { name length secretNote rotationPlan } }';

describe('field-level RequireRole', () => {
  it('an admin reads every field', async () => {
    const result = await graphql(api.url, QUERY, {}, { token: tokens['admin'] });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      acmeVaultItems: [
        { name: 'signing-key', length: 11, secretNote: 'secret of signing-key', rotationPlan: 'rotate signing-key' },
        { name: 'webhook', length: 7, secretNote: 'secret of webhook', rotationPlan: 'rotate webhook' },
      ],
    });
  });

  it.each([
    ['viewer', ['secretNote', 'rotationPlan']],
    ['operator', ['secretNote']],
  ] as const)('as %s: the fields above the role are null with FORBIDDEN naming them; the rest is served', async (role, refused) => {
    const result = await graphql<{ acmeVaultItems: Record<string, unknown>[] }>(api.url, QUERY, {}, { token: tokens[role] });
    for (const item of result.data?.acmeVaultItems ?? []) {
      for (const field of ['secretNote', 'rotationPlan']) expect(item[field] === null).toBe(refused.includes(field as never));
      expect(item['name']).toEqual(expect.any(String));
      expect(item['length']).toEqual(expect.any(Number));
    }
    expect(result.data?.acmeVaultItems).toHaveLength(2);
    const errors = result.errors ?? [];
    expect(errors).toHaveLength(2 * refused.length);
    for (const error of errors) {
      expect(error.extensions?.['code']).toBe('FORBIDDEN');
      expect(error.message).toMatch(new RegExp(`^(${refused.join('|')}) needs the (admin|operator) role; this token has ${role}$`));
    }
    // A query that leaves the guarded fields out has no errors.
    expect((await graphql(api.url, '{ acmeVaultItems { name length } }', {}, { token: tokens[role] })).errors).toBeUndefined();
  });
});
