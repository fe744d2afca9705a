import { BadInputError, isPermanentError, TaskInputError } from '@bulkhead/plugin-sdk';
import { runPluginTask } from '@bulkhead/plugin-sdk/testing';
import plugin from './index';

/** The signer's tasks as the runner sees them inline (no platform): their inputs and refusals. */
describe('bulkhead.signer tasks', () => {
  it('declares sign-image and verify-image of kind signer', () => {
    expect(plugin.manifest).toMatchObject({ id: 'bulkhead.signer', kind: 'signer', phases: ['ship'] });
    expect(plugin.tasks.map((t) => t.type)).toEqual(expect.arrayContaining(['sign-image', 'verify-image']));
  });

  it('sign-image inline refuses (server keys live on a worker) and names the CLI command to use', async () => {
    const run = runPluginTask(plugin, 'sign-image', { ref: '127.0.0.1:1/app:1', keyId: '00000000-0000-4000-8000-000000000000' });
    await expect(run).rejects.toThrow(/bulkhead sign <ref> --key cosign\.key/);
    await expect(run).rejects.toBeInstanceOf(BadInputError);
  });

  it('refuses bad inputs naming the field: a key id that is not a UUID, an unknown signature format, a huge PEM', async () => {
    await expect(runPluginTask(plugin, 'sign-image', { ref: 'r', keyId: 'release' })).rejects.toThrow(TaskInputError);
    await expect(runPluginTask(plugin, 'sign-image', { ref: 'r', keyId: '00000000-0000-4000-8000-000000000000', signatureFormat: 'pgp' })).rejects.toThrow(/signatureFormat/);
    await expect(runPluginTask(plugin, 'verify-image', { ref: 'r', publicKey: 'x'.repeat(70_000) })).rejects.toThrow(/publicKey/);
  });

  it('verify-image inline needs a key or certificate; a malformed PEM is a permanent error (never retried)', async () => {
    await expect(runPluginTask(plugin, 'verify-image', { ref: '127.0.0.1:1/app:1' })).rejects.toThrow(/nothing to verify with/);
    const bad = await runPluginTask(plugin, 'verify-image', { ref: '127.0.0.1:1/app:1', publicKey: '-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n' }).catch((error: unknown) => error);
    expect(isPermanentError(bad)).toBe(true);
    expect((bad as Error).message).toMatch(/publicKey/);
  });
});
