import { setTimeout as sleep } from 'node:timers/promises';
import { definePlugin, defineTask } from '@bulkhead/plugin-sdk';
import { z } from 'zod';

/** When each task's AbortSignal fired (ms since epoch) and with what reason, for in-process tests. */
export const abortsSeen = new Map<string, { at: number; reason: unknown }>();

/**
 * Test-only plugin for the worker's crash and shutdown tests: a task that takes a known time,
 * honours its AbortSignal, and emits a known inventory. Loaded by the spawned worker through
 * BULKHEAD_PLUGINS (an absolute path to the compiled file), like a third-party package.
 */
export const plugin = definePlugin({
  manifest: { id: 'test.slow', version: '1.0.0', kind: 'scanner', phases: ['build'], description: 'slow inventory for worker tests' },
  tasks: [
    defineTask({
      type: 'slow-inventory',
      description: 'emits an artifact, waits `steps` x `stepMs`, then emits `packages` packages and one finding each',
      input: z.object({ digest: z.string().min(1), packages: z.number().int().min(0), steps: z.number().int().min(1), stepMs: z.number().int().min(0) }),
      run: async (input, ctx) => {
        ctx.signal.addEventListener('abort', () => abortsSeen.set(ctx.taskId, { at: Date.now(), reason: ctx.signal.reason }), { once: true });
        await ctx.emit.artifact({ digest: input.digest, references: [`test:${input.digest}`], size: 1, layers: [] });
        for (let step = 1; step <= input.steps; step++) {
          await sleep(input.stepMs, undefined, { signal: ctx.signal });
          ctx.progress(step / input.steps, `step ${step}`);
        }
        const names = Array.from({ length: input.packages }, (_, i) => `pkg${i}`);
        await ctx.emit.packages(
          input.digest,
          names.map((name) => ({ type: 'npm', name, version: '1.0.0', purl: `pkg:npm/${name}@1.0.0` })),
        );
        await ctx.emit.findings(names.map((name) => ({ kind: 'scanner', severity: 'LOW', ruleId: `R-${name}`, title: name, target: input.digest, location: name })));
        return { packages: input.packages };
      },
    }),
  ],
});
