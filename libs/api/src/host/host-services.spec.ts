import { z } from 'zod';
import { definePlugin, defineTask, PluginRegistry, type BulkheadPlugin } from '@bulkhead/plugin-sdk';
import type { PluginDatabase } from '@bulkhead/plugin-sdk/api';
import { requestScopedServices } from './host-services';
import { AsyncLocalRequestContext } from './request-context';
import { requestTeam } from './request-team';

/** A provider that answers with the team it was instantiated for, so the scoping is visible. */
function provider(): BulkheadPlugin {
  return definePlugin({
    manifest: { id: 'test.provider', version: '1.0.0', kind: 'signer', phases: ['ship'], description: 'provides imageSignatures' },
    tasks: [defineTask({ type: 'noop', description: 'noop', input: z.object({}), run: async () => null })],
    provides: {
      imageSignatures: ({ team }) => ({
        forDigests: async (digests) => digests.map((manifestDigest) => ({ manifestDigest, format: 'cosign-legacy', verifier: `key:${team}`, identity: null, valid: true, reason: null, checkedAt: new Date(0).toISOString() })),
      }),
    },
  });
}

const database: PluginDatabase = { query: async () => [], transaction: async () => undefined as never };
const principal = (team: string) => ({ tokenId: 't', name: 'n', team, role: 'viewer' as const });

describe('requestScopedServices (HOST_SERVICES)', () => {
  const context = new AsyncLocalRequestContext();
  const services = requestScopedServices(new PluginRegistry([provider()]), database, requestTeam(context));

  it('answers for the team of the request being served, one object for every team', async () => {
    const a = await context.run(principal('team-a'), () => services.imageSignatures?.forDigests(['sha256:x']));
    const b = await context.run(principal('team-b'), () => services.imageSignatures?.forDigests(['sha256:x']));
    expect(a?.[0]?.verifier).toBe('key:team-a');
    expect(b?.[0]?.verifier).toBe('key:team-b');
  });

  it('fails closed outside a request (UNAUTHENTICATED), as a rejection', async () => {
    await expect(services.imageSignatures?.forDigests(['sha256:x'])).rejects.toThrow(/authentication required/);
  });

  it('says at start-up, without a team, whether a service is provided', () => {
    expect(services.imageSignatures).toBeDefined();
    expect(requestScopedServices(new PluginRegistry(), database, requestTeam(context)).imageSignatures).toBeUndefined();
  });
});
