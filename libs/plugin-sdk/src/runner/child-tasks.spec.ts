import { z } from 'zod';
import { BadInputError, definePlugin, defineTask, MAX_FLOW_CHILDREN, PluginRegistry, type ChildTaskOutcome } from '../index';
import { CollectingEmitter } from './collecting-emitter';
import { runTask } from './run-task';
import { severityCounts } from './child-tasks';

let seen: readonly ChildTaskOutcome[] | undefined;
const registry = new PluginRegistry([
  definePlugin({
    manifest: { id: 'test.children', version: '1.0.0', kind: 'scanner', phases: ['build'], description: 'children' },
    tasks: [
      defineTask({
        type: 'report',
        description: 'reports one finding per severity given; fails on "boom"',
        input: z.object({ severities: z.array(z.enum(['CRITICAL', 'LOW'])), boom: z.boolean().default(false) }),
        run: async (input, ctx) => {
          await ctx.emit.findings(input.severities.map((severity, i) => ({ kind: 'scanner', severity, ruleId: `R${i}`, title: 't', target: 'img' })));
          if (input.boom) throw new BadInputError('child went boom');
          return { reported: input.severities.length };
        },
      }),
      defineTask({
        type: 'parent',
        description: 'reads its children',
        input: z.object({ count: z.number().int().min(0).default(2) }),
        children: (input) => [
          { kind: 'scanner', type: 'report', input: { severities: ['CRITICAL', 'LOW', 'LOW'] } },
          { kind: 'scanner', type: 'report', input: { severities: ['LOW'], boom: true } },
          ...Array.from({ length: Math.max(0, input.count - 2) }, () => ({ kind: 'scanner' as const, type: 'report', input: { severities: [] } })),
        ],
        run: async (_input, ctx) => {
          seen = ctx.children;
          return { children: ctx.children?.map((c) => c.status) };
        },
      }),
    ],
  }),
]);

describe('flows (TaskDefinition.children)', () => {
  it('inline: runs the children first and gives the parent their outcomes in order, a failed child included', async () => {
    const outcome = await runTask({ taskId: 'p', kind: 'scanner', type: 'parent', input: {} }, { registry, emit: new CollectingEmitter() });
    expect(outcome.output).toEqual({ children: ['SUCCEEDED', 'FAILED'] });
    const [first, second] = seen ?? [];
    expect(first).toMatchObject({ kind: 'scanner', type: 'report', status: 'SUCCEEDED', output: { reported: 3 } });
    expect(first?.severityCounts).toMatchObject({ CRITICAL: 1, LOW: 2, HIGH: 0 });
    expect(first?.findings.map((f) => [f.ruleId, f.status])).toEqual([['R0', 'OPEN'], ['R1', 'OPEN'], ['R2', 'OPEN']]);
    expect(first?.findings.every((f) => f.fingerprint.length > 0)).toBe(true);
    expect(second).toMatchObject({ status: 'FAILED', error: 'child went boom', output: null, findings: [] });
  });

  it('uses the given children resolver (the worker reads them from the task rows)', async () => {
    const given: ChildTaskOutcome[] = [0, 1].map((i) => ({ kind: 'scanner', type: 'report', taskId: `c${i}`, status: 'CANCELLED', output: null, findings: [], severityCounts: severityCounts([]) }));
    const outcome = await runTask({ taskId: 'p', kind: 'scanner', type: 'parent', input: {} }, { registry, emit: new CollectingEmitter(), children: async (requests) => given.slice(0, requests.length) });
    expect(outcome.output).toEqual({ children: ['CANCELLED', 'CANCELLED'] });
    await expect(runTask({ taskId: 'p', kind: 'scanner', type: 'parent', input: {} }, { registry, emit: new CollectingEmitter(), children: async () => given.slice(0, 1) })).rejects.toThrow(
      /2 children declared, 1 outcomes given/,
    );
  });

  it(`refuses more than ${MAX_FLOW_CHILDREN} children before any runs`, async () => {
    await expect(runTask({ taskId: 'p', kind: 'scanner', type: 'parent', input: { count: MAX_FLOW_CHILDREN + 1 } }, { registry, emit: new CollectingEmitter() })).rejects.toThrow(
      BadInputError,
    );
  });

  it('counts severities without suppressed findings', () => {
    expect(severityCounts([{ severity: 'HIGH', status: 'OPEN' }, { severity: 'HIGH', status: 'SUPPRESSED' }])).toMatchObject({ HIGH: 1, CRITICAL: 0 });
  });
});
