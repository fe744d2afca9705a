import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { BadInputError, definePlugin, defineTask, PluginRegistry, TaskInputError, type TaskPlatform } from '../index';
import { CollectingEmitter } from './collecting-emitter';
import { runTask } from './run-task';

let seenWorkDir = '';
const registry = new PluginRegistry([
  definePlugin({
    manifest: { id: 'test.echo', version: '1.0.0', kind: 'scanner', phases: ['build'], description: 'echo' },
    tasks: [
      defineTask({
        type: 'echo',
        description: 'emits one finding per word',
        input: z.object({ words: z.array(z.string()).min(1) }),
        run: async (input, ctx) => {
          seenWorkDir = ctx.workDir;
          await writeFile(path.join(ctx.workDir, 'scratch'), 'x');
          ctx.progress(2, 'clamped');
          await ctx.emit.findings(input.words.map((w) => ({ kind: 'scanner', severity: 'LOW', ruleId: w, title: w, target: 't' })));
          if (input.words.includes('boom')) throw new BadInputError('boom is not a word');
          return { count: input.words.length };
        },
      }),
    ],
  }),
]);

describe('runTask', () => {
  it('validates input, runs the handler and removes its work dir', async () => {
    const emit = new CollectingEmitter();
    const progress: number[] = [];
    const outcome = await runTask(
      { taskId: 't1', kind: 'scanner', type: 'echo', input: { words: ['a', 'b', 'a'] } },
      { registry, emit, onProgress: (f) => progress.push(f) },
    );
    expect(outcome.output).toEqual({ count: 3 });
    expect(emit.findingList.map((f) => f.ruleId)).toEqual(['a', 'b']);
    expect(progress).toEqual([1]);
    expect(existsSync(seenWorkDir)).toBe(false);
  });

  it('rejects bad input before the handler runs', async () => {
    await expect(runTask({ taskId: 't2', kind: 'scanner', type: 'echo', input: { words: [] } }, { registry, emit: new CollectingEmitter() })).rejects.toThrow(
      TaskInputError,
    );
  });

  it('cleans up and rethrows when the handler fails', async () => {
    await expect(
      runTask({ taskId: 't3', kind: 'scanner', type: 'echo', input: { words: ['boom'] } }, { registry, emit: new CollectingEmitter() }),
    ).rejects.toThrow('boom is not a word');
    expect(existsSync(seenWorkDir)).toBe(false);
  });

  it('does not start an aborted task', async () => {
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    await expect(
      runTask({ taskId: 't4', kind: 'scanner', type: 'echo', input: { words: ['a'] } }, { registry, emit: new CollectingEmitter(), signal: controller.signal }),
    ).rejects.toThrow('shutting down');
  });

  it('gives the task the platform (built from its definition when a function), none inline', async () => {
    const seen: (string | undefined)[] = [];
    const probe = new PluginRegistry([
      definePlugin({
        manifest: { id: 'test.probe', version: '1.0.0', kind: 'scanner', phases: ['build'], description: 'probe' },
        tasks: [defineTask({ type: 'probe', description: 'records its platform team', input: z.object({}), run: async (_input, ctx) => void seen.push(ctx.platform?.team) })],
      }),
    ]);
    const platform = { team: 'blue' } as unknown as TaskPlatform;
    await runTask({ taskId: 'p1', kind: 'scanner', type: 'probe', input: {} }, { registry: probe, emit: new CollectingEmitter() });
    await runTask({ taskId: 'p2', kind: 'scanner', type: 'probe', input: {} }, { registry: probe, emit: new CollectingEmitter(), platform });
    const built: string[] = [];
    await runTask(
      { taskId: 'p3', kind: 'scanner', type: 'probe', input: {} },
      { registry: probe, emit: new CollectingEmitter(), platform: (definition) => (built.push(definition.type), { ...platform, team: 'red' }) },
    );
    expect(seen).toEqual([undefined, 'blue', 'red']);
    expect(built).toEqual(['probe']);
  });

  it('makes the scratch directory and the platform only for a task that asks for them', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'bulkhead-lazy-'));
    try {
      let built = 0;
      const used: string[] = [];
      const lazy = new PluginRegistry([
        definePlugin({
          manifest: { id: 'test.lazy', version: '1.0.0', kind: 'runtime', phases: ['run'], description: 'lazy' },
          tasks: [
            defineTask({
              type: 'maybe-scratch',
              description: 'uses its scratch directory when asked to',
              input: z.object({ scratch: z.boolean() }),
              run: async ({ scratch }, ctx) => {
                if (!scratch) return null;
                used.push(ctx.workDir, ctx.workDir);
                expect(readdirSync(root)).toHaveLength(1);
                return ctx.platform?.team;
              },
            }),
          ],
        }),
      ]);
      const options = { registry: lazy, emit: new CollectingEmitter(), tmpRoot: root, platform: () => (built++, { team: 'blue' } as unknown as TaskPlatform) };
      await runTask({ taskId: 'l1', kind: 'runtime', type: 'maybe-scratch', input: { scratch: false } }, options);
      expect({ dirs: readdirSync(root), built }).toEqual({ dirs: [], built: 0 });
      const { output } = await runTask({ taskId: 'l2', kind: 'runtime', type: 'maybe-scratch', input: { scratch: true } }, options);
      expect(output).toBe('blue');
      // One directory however often it is read, removed afterwards.
      expect(new Set(used).size).toBe(1);
      expect({ dirs: readdirSync(root), built }).toEqual({ dirs: [], built: 1 });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
