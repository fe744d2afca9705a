import type { TaskLogger } from '@bulkhead/plugin-sdk';
import { TASK_LOG_LEVELS, type TaskLogLevel, type TaskLogLine, type TaskLogUsage } from '@bulkhead/persistence';

/*
 * A task's log (issue 16): the lines its plugin logs through ctx.logger at info and above, kept
 * with the task (table task_log) besides going to the process's stderr as before. Lines are
 * gathered in memory and written in batches (one INSERT each, at most every FLUSH_MS and when
 * the task ends), so a chatty task costs a few statements and a silent one none at all. Bounded
 * per task: a task fed hostile input must not fill the database through its log.
 */

export interface TaskLogLimits {
  /** Lines a task keeps, over all its attempts. */
  maxLines: number;
  /** Bytes (messages and fields as JSON) a task keeps, over all its attempts. */
  maxBytes: number;
  /** Longest message kept (bytes, UTF-8); longer ones are cut. */
  maxMessageBytes: number;
  /** Largest fields object kept (bytes of JSON); larger ones are replaced by a cut rendering. */
  maxFieldsBytes: number;
  /** Longest a line waits in memory before it is written. */
  flushMs: number;
}

export const TASK_LOG_LIMITS: TaskLogLimits = { maxLines: 1_000, maxBytes: 256 * 1024, maxMessageBytes: 4 * 1024, maxFieldsBytes: 4 * 1024, flushMs: 1_000 };

/** Where a buffer writes (TaskLogStore with ALL_TEAMS). */
export interface TaskLogWriter {
  append(taskId: string, attempt: number, lines: readonly TaskLogLine[]): Promise<void>;
  usage(taskId: string): Promise<TaskLogUsage>;
}

interface PendingLine {
  line: TaskLogLine;
  bytes: number;
}

/**
 * The log lines of one attempt of one task, waiting to be written. `add` is synchronous and
 * never throws; writes happen one at a time, in order. A write that fails is reported to
 * `onWriteError` and its lines are lost: the log is a convenience, never a reason to fail a task.
 *
 * Lines added as `quiet` (the platform's "task started") are written with the others but never
 * cause a write by themselves: a task that logs nothing else costs no SQL (issue 15's canary).
 */
export class TaskLogBuffer {
  private pending: PendingLine[] = [];
  /** A line that is not quiet is waiting. */
  private loud = false;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /** What the task stored before this attempt (read before the first write of a retry), plus what this attempt kept. */
  private used: TaskLogUsage | undefined;
  private keptLines = 0;
  private keptBytes = 0;
  private dropped = 0;

  constructor(
    private readonly taskId: string,
    private readonly attempt: number,
    private readonly writer: TaskLogWriter,
    private readonly onWriteError: (error: unknown) => void,
    private readonly limits: TaskLogLimits = TASK_LOG_LIMITS,
  ) {
    // A first attempt starts from an empty log: no read needed.
    if (attempt <= 1) this.used = { lines: 0, bytes: 0 };
  }

  /** Lines dropped over the budget so far (written as one line when the buffer closes). */
  get droppedLines(): number {
    return this.dropped;
  }

  add(level: TaskLogLevel, message: string, fields: Record<string, unknown> | null, options: { quiet?: boolean } = {}): void {
    if (this.closed) return;
    // The budget of a retry is known once its first write has read what earlier attempts kept; until then this attempt's own lines count.
    const before = this.used ?? { lines: 0, bytes: 0 };
    if (before.lines + this.keptLines + 1 > this.limits.maxLines) {
      // Counted without being redacted or measured: a task logging in a loop costs little past its budget.
      this.dropped++;
      return;
    }
    const line = boundedLine(level, message, fields, this.limits);
    const bytes = lineBytes(line);
    if (before.bytes + this.keptBytes + bytes > this.limits.maxBytes) {
      this.dropped++;
      return;
    }
    this.keptLines++;
    this.keptBytes += bytes;
    this.pending.push({ line, bytes });
    if (options.quiet) return;
    this.loud = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.limits.flushMs);
    this.timer.unref?.();
  }

  /** Writes what is waiting, if a line that is not quiet is among it; resolves once written (or failed). */
  flush(): Promise<void> {
    this.chain = this.chain.then(() => this.write());
    return this.chain;
  }

  /**
   * The task is done (or this attempt is): adds `finalLine` if given, notes the lines dropped
   * over the budget, and writes what is waiting. Lines added afterwards are ignored.
   */
  async close(finalLine?: { level: TaskLogLevel; message: string; fields?: Record<string, unknown> | null }): Promise<void> {
    if (this.closed) return this.chain;
    if (finalLine) this.add(finalLine.level, finalLine.message, finalLine.fields ?? null);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return this.flush();
  }

  private async write(): Promise<void> {
    // Quiet lines alone are not written; dropped lines are noted when the buffer closes.
    if (!this.loud && !(this.closed && this.dropped > 0)) return;
    try {
      if (this.used === undefined) {
        // A retry: earlier attempts' lines count against the task's budget. Lines this attempt
        // gathered before knowing it are trimmed to what is left.
        this.used = await this.writer.usage(this.taskId);
        this.trimToBudget(this.used);
      }
      const batch = this.pending.map((p) => p.line);
      if (this.closed && this.dropped > 0) {
        // Over the budget on purpose: the reader must know lines are missing.
        batch.push({ at: new Date(), level: TASK_LOG_LEVELS.warn, message: `… ${this.dropped} log lines dropped (a task keeps at most ${this.limits.maxLines} lines and ${Math.round(this.limits.maxBytes / 1024)} KiB)`, fields: null });
        this.dropped = 0;
      }
      this.pending = [];
      this.loud = false;
      await this.writer.append(this.taskId, this.attempt, batch);
    } catch (error) {
      this.pending = [];
      this.loud = false;
      this.onWriteError(error);
    }
  }

  private trimToBudget(used: TaskLogUsage): void {
    let lines = used.lines;
    let bytes = used.bytes;
    const kept: PendingLine[] = [];
    for (const p of this.pending) {
      if (lines + 1 > this.limits.maxLines || bytes + p.bytes > this.limits.maxBytes) {
        this.dropped++;
        this.keptLines--;
        this.keptBytes -= p.bytes;
        continue;
      }
      lines++;
      bytes += p.bytes;
      kept.push(p);
    }
    this.pending = kept;
  }
}

function lineBytes(line: TaskLogLine): number {
  return Buffer.byteLength(line.message) + (line.fields === null ? 0 : Buffer.byteLength(JSON.stringify(line.fields)));
}

/** A line within the limits: message cut and redacted, fields made JSON-safe, redacted and bounded. */
export function boundedLine(level: TaskLogLevel, message: string, fields: Record<string, unknown> | null, limits: TaskLogLimits = TASK_LOG_LIMITS): TaskLogLine {
  const safeFields = fields === null ? null : boundedFields(fields, limits.maxFieldsBytes);
  return { at: new Date(), level, message: boundedText(message, limits.maxMessageBytes), fields: safeFields };
}

function boundedFields(fields: Record<string, unknown>, maxBytes: number): Record<string, unknown> | null {
  const safe = sanitize(fields, 0) as Record<string, unknown>;
  if (Object.keys(safe).length === 0) return null;
  const json = JSON.stringify(safe);
  if (Buffer.byteLength(json) <= maxBytes) return safe;
  // Too large to keep whole: a cut rendering, so the reader still sees what it began with.
  return { truncated: cutBytes(json, maxBytes - 64) };
}

/** Cuts a string to at most `maxBytes` of UTF-8, ending with "…" when cut (never inside a character). */
export function cutBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const budget = maxBytes - 3; // "…" is three bytes
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > budget) break;
    bytes += size;
    end += char.length;
  }
  return `${text.slice(0, end)}…`;
}

/*
 * Secrets never reach the task log. The process logger (pino) redacts nothing, and a plugin may
 * log an error whose message quotes a URL with credentials or a header. So: values under keys
 * named like secrets are replaced, and in every string, API tokens (bhk_…), Authorization
 * header values (Bearer / Basic …) and URL user-info (https://user:password@host) are.
 */
const SECRET_KEY = /secret|token|password|passwd|passphrase|authorization|credential|cookie|api[-_]?key|private[-_]?key|auth$|^auth/i;
/** Keys named like secrets that are identifiers (a token's id is not the token). */
const NOT_SECRET_KEY = /^(token)?id$|^tokenId$|^tokenName$/i;
const REDACTED = '[REDACTED]';
const MAX_DEPTH = 5;
const MAX_STRING = 1_000;
const MAX_ITEMS = 50;
const MAX_KEYS = 50;

/**
 * Every pattern is linear in the text: repetitions that could backtrack are bounded (an unbounded
 * URL scheme cost 40 s on a 10,000-character line of letters).
 */
export function redactText(text: string): string {
  return text
    .replace(/\0/g, '')
    .replace(/bhk_[A-Za-z0-9_-]{8,}/g, REDACTED)
    .replace(/\b(Bearer|Basic|Token)\s{1,10}[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`)
    .replace(/([a-z][a-z0-9+.-]{0,31}:\/\/)[^/\s:@]{1,256}:[^/\s@]{1,256}@/gi, `$1${REDACTED}@`);
}

/** Cut to twice the bound before the patterns run (a megabyte string is not scanned whole), then to the bound. */
function boundedText(text: string, maxBytes: number): string {
  return cutBytes(redactText(text.length > maxBytes * 2 ? text.slice(0, maxBytes * 2) : text), maxBytes);
}

function sanitize(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return boundedText(value, MAX_STRING);
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean' || value === null) return value;
  if (typeof value === 'bigint') return value.toString();
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value instanceof Error) return { type: value.name, message: sanitize(value.message, depth + 1) };
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${(value as ArrayBufferView).byteLength} bytes]`;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((item) => sanitize(item, depth + 1) ?? null);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>).slice(0, MAX_KEYS)) {
    const safeKey = key.replace(/\0/g, '').slice(0, 100);
    const safe = SECRET_KEY.test(key) && !NOT_SECRET_KEY.test(key) ? REDACTED : sanitize(item, depth + 1);
    if (safe !== undefined) out[safeKey] = safe;
  }
  return out;
}

/** Bindings runTask gives every task's logger: the task's identity, which every stored line already has. */
const IDENTITY_BINDINGS = new Set(['taskId', 'plugin', 'taskType']);

/**
 * A TaskLogger that writes to the process logger as before and keeps a copy of each line at
 * info and above in the task's buffer. Child loggers share the buffer; their bindings (other
 * than the task's identity) become fields of the lines they log. The process logger's children
 * are made only when a line is logged (most tasks log nothing).
 */
export function teeTaskLogger(target: TaskLogger, buffer: TaskLogBuffer): TaskLogger {
  return tee(() => target, buffer, {});
}

function tee(parent: () => TaskLogger, buffer: TaskLogBuffer, fieldBindings: Record<string, unknown>, own?: Record<string, unknown>): TaskLogger {
  let made: TaskLogger | undefined;
  const out = (): TaskLogger => (made ??= own === undefined ? parent() : parent().child(own));
  const keep = (level: TaskLogLevel, obj: object | string, msg?: string): void => {
    try {
      if (typeof obj === 'string') {
        buffer.add(level, obj, Object.keys(fieldBindings).length > 0 ? fieldBindings : null);
        return;
      }
      const { msg: inlineMsg, ...rest } = (obj instanceof Error ? { err: obj } : obj) as Record<string, unknown>;
      const message = msg ?? (typeof inlineMsg === 'string' ? inlineMsg : obj instanceof Error ? obj.message : '');
      const fields = { ...fieldBindings, ...rest };
      buffer.add(level, message, Object.keys(fields).length > 0 ? fields : null);
    } catch {
      // A line that cannot be kept (a getter that throws, say) is still logged to the process.
    }
  };
  return {
    debug: (obj, msg) => out().debug(obj, msg),
    info: (obj, msg) => {
      out().info(obj, msg);
      keep(TASK_LOG_LEVELS.info, obj, msg);
    },
    warn: (obj, msg) => {
      out().warn(obj, msg);
      keep(TASK_LOG_LEVELS.warn, obj, msg);
    },
    error: (obj, msg) => {
      out().error(obj, msg);
      keep(TASK_LOG_LEVELS.error, obj, msg);
    },
    child: (bindings) => {
      const extra = Object.fromEntries(Object.entries(bindings).filter(([key]) => !IDENTITY_BINDINGS.has(key)));
      return tee(out, buffer, { ...fieldBindings, ...extra }, bindings);
    },
  };
}
