import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { BadInputError, definePlugin, defineTask, type FindingResult, type TaskContext } from '@bulkhead/plugin-sdk';
import { alertToFinding, parseFalcoAlert } from './alerts/alert';
import { formatDiagnostic } from './engine/diagnostics';
import { RuleEngine } from './engine/engine';
import { EventEvaluator } from './engine/evaluator';
import { PRIORITIES, parsePriority } from './engine/priority';
import { loadRulesFrom } from './engine/rules-source';
import { inlineInputs, readInputFile, type InputItem } from './events/reader';

export const RUNTIME_PLUGIN_VERSION = '0.1.0';
const FINDINGS_BATCH = 500;

const evaluateEventsInput = z
  .object({
    rules: z
      .object({
        files: z.array(z.string().min(1)).default([]),
        inline: z.union([z.string(), z.array(z.string())]).optional(),
      })
      .refine((r) => r.files.length > 0 || (r.inline !== undefined && r.inline.length > 0), 'give rules files or inline rules YAML')
      .optional(),
    events: z
      .object({
        files: z.array(z.string().min(1)).default([]),
        inline: z.array(z.unknown()).default([]),
      })
      .refine((e) => e.files.length > 0 || e.inline.length > 0, 'give event files or inline events'),
    matching: z.enum(['first', 'all']).default('first'),
    minimumPriority: z
      .string()
      .refine((p) => parsePriority(p) !== undefined, `must be one of ${PRIORITIES.join(', ')}`)
      .optional(),
    hostname: z.string().optional(),
  })
  .strict();

const ingestAlertsInput = z
  .object({
    alerts: z.array(z.unknown()).default([]),
    files: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .refine((i) => i.alerts.length > 0 || i.files.length > 0, 'give alerts or alert files');

/** Emits findings in batches so memory stays flat on long event files. */
class FindingBatcher {
  private batch: FindingResult[] = [];
  emitted = 0;
  constructor(private readonly ctx: TaskContext) {}
  async add(f: FindingResult): Promise<void> {
    this.batch.push(f);
    if (this.batch.length >= FINDINGS_BATCH) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const b = this.batch;
    this.batch = [];
    this.emitted += b.length;
    await this.ctx.emit.findings(b);
  }
}

async function* eventSources(files: readonly string[], inline: readonly unknown[], signal: AbortSignal): AsyncGenerator<InputItem> {
  yield* inlineInputs(inline);
  for (const file of files) {
    try {
      yield* readInputFile(file, signal);
    } catch (error) {
      throw new BadInputError(`cannot read events file ${file}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** The rules setting of the machine running the task (comma-separated Falco rules files). */
export const RUNTIME_RULES_SETTING = 'BULKHEAD_RUNTIME_RULES';

/** The rules a task input names, or else the operator's BULKHEAD_RUNTIME_RULES. */
function rulesOf(rules: { files: string[]; inline?: string | string[] | undefined } | undefined): { files: string[]; inline?: string | string[] } {
  if (rules) return { files: rules.files, ...(rules.inline !== undefined ? { inline: rules.inline } : {}) };
  const files = (process.env[RUNTIME_RULES_SETTING] ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  if (files.length === 0) throw new BadInputError(`rules: give rules files or inline rules YAML, or set ${RUNTIME_RULES_SETTING} (comma-separated Falco rules files) where the task runs`);
  return { files };
}

/**
 * `evaluate-events`. Rules come from the input (inline CLI) or from the operator's
 * BULKHEAD_RUNTIME_RULES: a server refuses rules from clients (they decide what is detected and
 * what is not) and confines event files to BULKHEAD_ALLOWED_PATHS.
 */
export const evaluateEventsTask = defineTask({
  type: 'evaluate-events',
  description: 'Evaluates syscall and Kubernetes audit events against Falco rules and emits a runtime finding per alert.',
  input: evaluateEventsInput,
  serverInputs: (input) => ({
    trustedFields: input.rules !== undefined ? ['rules'] : [],
    paths: input.events.files.map((p, i) => ({ field: `events.files.${i}`, path: p })),
  }),
  async run(input, ctx) {
    const loaded = await loadRulesFrom(rulesOf(input.rules));
    for (const w of loaded.warnings) ctx.logger.debug({ warning: formatDiagnostic(w) }, 'rules warning');
    if (loaded.errors.length > 0) throw new BadInputError(`rules failed to load:\n${loaded.errors.map(formatDiagnostic).join('\n')}`);
    const engine = new RuleEngine(loaded.rules, { matching: input.matching, minimumPriority: input.minimumPriority ? parsePriority(input.minimumPriority) : undefined });
    const evaluator = new EventEvaluator(engine, input.hostname);
    const batcher = new FindingBatcher(ctx);
    const byRule: Record<string, number> = {};
    const malformedSamples: string[] = [];
    let events = 0;
    let malformed = 0;
    for await (const item of eventSources(input.events.files, input.events.inline, ctx.signal)) {
      if (ctx.signal.aborted) throw new Error('evaluate-events cancelled');
      if (item.kind === 'malformed') {
        malformed++;
        if (malformedSamples.length < 10) malformedSamples.push(`${item.where}: ${item.reason}`);
        continue;
      }
      events++;
      for (const alert of evaluator.evaluate(item.event)) {
        byRule[alert.rule] = (byRule[alert.rule] ?? 0) + 1;
        await batcher.add(alertToFinding(alert, item.event));
      }
      if (events % 10_000 === 0) ctx.progress(0.5, `${events} events evaluated`);
    }
    await batcher.flush();
    if (malformed > 0) ctx.logger.warn({ malformed, samples: malformedSamples }, 'malformed events skipped');
    ctx.progress(1, `${events} events, ${batcher.emitted} alerts`);
    if (evaluator.failures > 0) ctx.logger.warn({ failures: evaluator.failures, last: evaluator.lastFailure }, 'events failed evaluation');
    return { rules: loaded.rules.length, events, malformed, malformedSamples, evaluationFailures: evaluator.failures, alerts: batcher.emitted, byRule };
  },
});

export const ingestFalcoAlertsTask = defineTask({
  type: 'ingest-falco-alerts',
  description: 'Validates alerts from Falco sensors (Falco JSON output, as falcosidekick receives them) and stores them as runtime findings.',
  input: ingestAlertsInput,
  serverInputs: (input) => ({ paths: input.files.map((p, i) => ({ field: `files.${i}`, path: p })) }),
  async run(input, ctx) {
    const batcher = new FindingBatcher(ctx);
    const rejected: string[] = [];
    let total = 0;
    const take = async (value: unknown, where: string): Promise<void> => {
      total++;
      const parsed = parseFalcoAlert(value);
      if ('problems' in parsed) {
        if (rejected.length < 20) rejected.push(`${where}: ${parsed.problems.join('; ')}`);
        return;
      }
      await batcher.add(alertToFinding(parsed.alert));
    };
    for (let i = 0; i < input.alerts.length; i++) await take(input.alerts[i], `alerts[${i}]`);
    for (const file of input.files) {
      let content: string;
      try {
        content = await readFile(file, 'utf8');
      } catch (error) {
        throw new BadInputError(`cannot read alerts file ${file}: ${(error as Error).message}`, { cause: error });
      }
      const lines = content.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i].trim();
        if (!line) continue;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch (error) {
          total++;
          if (rejected.length < 20) rejected.push(`${file}:${i + 1}: invalid JSON: ${(error as Error).message}`);
          continue;
        }
        await take(value, `${file}:${i + 1}`);
      }
    }
    await batcher.flush();
    const rejectedCount = total - batcher.emitted;
    if (rejectedCount > 0) ctx.logger.warn({ rejected: rejectedCount, samples: rejected }, 'invalid Falco alerts skipped');
    return { received: total, ingested: batcher.emitted, rejected: rejectedCount, rejectedSamples: rejected };
  },
});

export const runtimePlugin = definePlugin({
  manifest: {
    id: 'bulkhead.runtime',
    version: RUNTIME_PLUGIN_VERSION,
    kind: 'runtime',
    phases: ['run'],
    description: 'Falco-compatible runtime detection: rules engine for syscall and Kubernetes audit events, Falco alert ingestion, drift detection.',
  },
  tasks: [evaluateEventsTask, ingestFalcoAlertsTask],
});
