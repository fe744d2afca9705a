import { runPluginTask } from '@bulkhead/plugin-sdk/testing';
import plugin from './index';

describe('bulkhead.signer', () => {
  it('runs its task with validated input and emits one finding per target', async () => {
    const run = await runPluginTask(plugin, 'signer', { targets: ['a', 'b'] });
    expect(run.output).toEqual({ checked: 2 });
    expect(run.findings.map((f) => f.target)).toEqual(['a', 'b']);
    await expect(runPluginTask(plugin, 'signer', { targets: [] })).rejects.toThrow(/targets/);
  });
});
