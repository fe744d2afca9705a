import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { definePlugin, defineTask, TaskInputError, type Analyzer } from '../index';
import { runPluginTask } from './index';

let scratch = '';
const bash = { type: 'deb', name: 'bash', version: '5.2', purl: 'pkg:deb/debian/bash@5.2' };
const plugin = definePlugin({
  manifest: { id: 'acme.inventory', version: '1.0.0', kind: 'scanner', phases: ['build'], description: 'test' },
  tasks: [
    defineTask({
      type: 'inventory',
      description: 'emits one artifact, its packages and a finding per extra analyzer',
      input: z.object({ digest: z.string().startsWith('sha256:'), wait: z.boolean().default(false) }),
      async run(input, ctx) {
        scratch = ctx.workDir;
        await writeFile(path.join(ctx.workDir, 'layer.tar'), 'x');
        ctx.logger.info({ digest: input.digest }, 'starting');
        ctx.progress(0.5, 'half');
        await ctx.emit.artifact({ digest: input.digest, references: ['oci:/x'], size: 1, layers: [] });
        await ctx.emit.packages(input.digest, [bash]);
        const analyzers = ctx.extensions('scanner.analyzer');
        await ctx.emit.findings(analyzers.map((a) => ({ kind: 'scanner', severity: 'LOW', ruleId: a.id, title: a.id, target: input.digest })));
        if (input.wait) {
          ctx.signal.throwIfAborted(); // aborted while it was writing: 'abort' has already fired
          await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
        }
        ctx.progress(7);
        return { analyzers: analyzers.length };
      },
    }),
  ],
});

const analyzer: Analyzer = { id: 'acme-license', version: '1', stage: 'other', wants: () => false, analyze: () => ({}) };
const analyzerPlugin = definePlugin({
  manifest: { id: 'acme.license', version: '1.0.0', kind: 'scanner', phases: ['build'], description: 'analyzer only' },
  tasks: [],
  contributes: { 'scanner.analyzer': [analyzer] },
});

describe('runPluginTask', () => {
  const digest = `sha256:${'a'.repeat(64)}`;

  it('collects output, artifacts, packages, findings, progress and logs, and removes the scratch dir', async () => {
    const run = await runPluginTask<{ analyzers: number }>(plugin, 'inventory', { digest });
    expect(run.output).toEqual({ analyzers: 0 });
    expect(run.artifacts).toEqual([{ digest, references: ['oci:/x'], size: 1, layers: [] }]);
    expect(run.packages).toEqual([{ artifactDigest: digest, packages: [bash] }]);
    expect(run.findings).toEqual([]);
    expect(run.progress).toEqual([{ fraction: 0.5, message: 'half' }, { fraction: 1 }]);
    expect(run.logs).toEqual([{ level: 'info', message: 'starting', fields: expect.objectContaining({ digest, plugin: 'acme.inventory', taskType: 'inventory' }) }]);
    expect(scratch).not.toBe('');
    expect(existsSync(scratch)).toBe(false);
  });

  it('gives the task the extension contributions of the other plugins loaded', async () => {
    const run = await runPluginTask(analyzerPlugin, 'inventory', { digest }, { plugins: [plugin] });
    expect(run.findings.map((f) => f.ruleId)).toEqual(['acme-license']);
  });

  it('rejects invalid input with a TaskInputError naming the field, before the task runs', async () => {
    scratch = '';
    const error = await runPluginTask(plugin, 'inventory', { digest: 'md5:x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskInputError);
    expect((error as Error).message).toMatch(/invalid input for task inventory: digest: /);
    expect(scratch).toBe('');
    await expect(runPluginTask(plugin, 'nope', {})).rejects.toThrow('no scanner plugin handles task type "nope" (available: inventory)');
  });

  it('passes the AbortSignal to the task', async () => {
    const controller = new AbortController();
    const run = runPluginTask(plugin, 'inventory', { digest, wait: true }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('cancelled by the test')), 10);
    await expect(run).rejects.toThrow('cancelled by the test');
    expect(existsSync(scratch)).toBe(false);
  });
});
