import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { fileProblem } from '@bulkhead/plugin-sdk/cli';
import { detectDrift, type InventoryLookup } from '../drift';
import { formatDiagnostic } from '../engine/diagnostics';
import { RuleEngine, type MatchMode } from '../engine/engine';
import { EventEvaluator } from '../engine/evaluator';
import { PRIORITIES, type Priority } from '../engine/priority';
import { loadRulesFrom } from '../engine/rules-source';
import { readInputFile } from '../events/reader';

export interface ReplayOptions {
  /** Rules files, loaded in order. */
  rules: readonly string[];
  /** Event files: `.json` (array, EventList, Event-per-line) or `.jsonl` (streamed). */
  inputs: readonly string[];
  /** Where alerts go, one Falco JSON alert per line: a stream or a file path (default process.stdout). */
  output?: Writable | string;
  /** Where diagnostics go (default process.stderr). */
  errorOutput?: Writable;
  /** Where the end-of-run summary goes (default: errorOutput); the CLI drops it under --quiet. */
  summaryOutput?: Writable;
  matching?: MatchMode;
  /**
   * `json` (default): one Falco JSON alert per line (json_output: true). `text`: Falco's text
   * alert line, `<time>: <Priority> <output>` (json_output: false).
   */
  format?: ReplayFormat;
  hostname?: string;
  signal?: AbortSignal;
  /**
   * Image inventories by digest: when given, each syscall exec event is also checked for drift
   * (detectDrift) and a drift alert follows the event's rule alerts.
   */
  inventory?: InventoryLookup;
}

export type ReplayFormat = 'json' | 'text';

export interface ReplaySummary {
  exitCode: number;
  events: number;
  alerts: number;
  malformed: number;
}

/** Alerts by priority and by rule, for the summary Falco prints when it stops. */
class AlertCounts {
  private readonly byPriority = new Map<Priority, number>();
  private readonly byRule = new Map<string, number>();
  total = 0;

  add(priority: Priority, rule: string): void {
    this.total++;
    this.byPriority.set(priority, (this.byPriority.get(priority) ?? 0) + 1);
    this.byRule.set(rule, (this.byRule.get(rule) ?? 0) + 1);
  }

  /**
   * Falco's end-of-run summary: `Events detected: N`, `Rule counts by severity:` (most severe
   * first, upper case as Falco prints them) and `Triggered rules by rule name:` (first seen first).
   */
  format(): string {
    const lines = [`Events detected: ${this.total}`, 'Rule counts by severity:'];
    for (const p of PRIORITIES) {
      const n = this.byPriority.get(p);
      if (n) lines.push(`   ${p.toUpperCase()}: ${n}`);
    }
    lines.push('Triggered rules by rule name:');
    for (const [rule, n] of this.byRule) lines.push(`   ${rule}: ${n}`);
    return `${lines.join('\n')}\n`;
  }
}

const MAX_REPORTED_MALFORMED = 10;

async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
}

/**
 * `bulkhead runtime replay --rules <file>... <events>...`: evaluates the events in order and
 * prints one alert per line. Malformed events are counted and skipped (summary on stderr); an
 * unreadable input is reported and the others still run. Exit 1 on rules errors or unreadable input.
 */
export async function runReplay(options: ReplayOptions): Promise<ReplaySummary> {
  const out = typeof options.output === 'string' ? createWriteStream(options.output, { flags: 'w' }) : (options.output ?? process.stdout);
  try {
    return await replay(options, out);
  } finally {
    if (typeof options.output === 'string') await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}

async function replay(options: ReplayOptions, out: Writable): Promise<ReplaySummary> {
  const err = options.errorOutput ?? process.stderr;
  const loaded = await loadRulesFrom({ files: options.rules });
  for (const d of loaded.errors) await write(err, `${formatDiagnostic(d)}\n`);
  if (loaded.errors.length > 0 || options.rules.length === 0) {
    if (options.rules.length === 0) await write(err, 'replay: no rules files given (--rules)\n');
    return { exitCode: 1, events: 0, alerts: 0, malformed: 0 };
  }
  const evaluator = new EventEvaluator(new RuleEngine(loaded.rules, { matching: options.matching }), options.hostname);
  const summary: ReplaySummary = { exitCode: 0, events: 0, alerts: 0, malformed: 0 };
  const counts = new AlertCounts();
  const text = options.format === 'text';
  for (const input of options.inputs) {
    try {
      for await (const item of readInputFile(input, options.signal)) {
        if (item.kind === 'malformed') {
          summary.malformed++;
          if (summary.malformed <= MAX_REPORTED_MALFORMED) await write(err, `replay: skipped malformed event at ${item.where}: ${item.reason}\n`);
          continue;
        }
        summary.events++;
        const alerts = evaluator.evaluate(item.event);
        if (options.inventory && item.event.source === 'syscall') {
          const verdict = detectDrift(item.event.event, options.inventory, { hostname: options.hostname });
          if (verdict.drift) alerts.push(verdict.alert);
        }
        for (const alert of alerts) {
          summary.alerts++;
          counts.add(alert.priority, alert.rule);
          // The alert's output already is Falco's text line: `<time>: <Priority> <message>`.
          await write(out, text ? `${alert.output}\n` : `${JSON.stringify(alert)}\n`);
        }
      }
    } catch (error) {
      summary.exitCode = 1;
      await write(err, `replay: cannot read events ${input}: ${fileProblem(error)}\n`);
    }
  }
  const more = summary.malformed > MAX_REPORTED_MALFORMED ? ` (first ${MAX_REPORTED_MALFORMED} listed)` : '';
  const failed = evaluator.failures > 0 ? `, ${evaluator.failures} event(s) failed evaluation (last: ${evaluator.lastFailure})` : '';
  const summaryOut = options.summaryOutput ?? err;
  await write(summaryOut, `replay: ${summary.events} event(s), ${summary.alerts} alert(s), ${summary.malformed} malformed input(s) skipped${more}${failed}\n`);
  await write(summaryOut, counts.format());
  return summary;
}
