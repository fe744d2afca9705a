import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { silentLogger, type TaskLogger } from '@bulkhead/plugin-sdk';
import type { FalcoAlert } from './alert';

/** Where alerts go (Falco's stdout_output, file_output, http_output). */
export interface AlertOutput {
  send(alert: FalcoAlert): Promise<void>;
  close(): Promise<void>;
}

/** One JSON alert per line on a stream (process.stdout by default). */
export class StdoutOutput implements AlertOutput {
  constructor(private readonly stream: Writable = process.stdout) {}
  async send(alert: FalcoAlert): Promise<void> {
    if (!this.stream.write(`${JSON.stringify(alert)}\n`)) await new Promise<void>((resolve) => this.stream.once('drain', () => resolve()));
  }
  async close(): Promise<void> {
    return undefined;
  }
}

/** Appends one JSON alert per line to a file (created with its directory when missing). */
export class FileOutput implements AlertOutput {
  private ready: Promise<unknown> | undefined;
  constructor(readonly filePath: string) {}
  async send(alert: FalcoAlert): Promise<void> {
    this.ready ??= mkdir(path.dirname(this.filePath), { recursive: true });
    await this.ready;
    await appendFile(this.filePath, `${JSON.stringify(alert)}\n`, 'utf8');
  }
  async close(): Promise<void> {
    return undefined;
  }
}

export interface WebhookOptions {
  url: string;
  /** Per request, in ms (default 5000). */
  timeoutMs?: number;
  headers?: Record<string, string>;
  logger?: TaskLogger;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/**
 * POSTs each alert as JSON (like Falco's http_output / falcosidekick input). Failures (network,
 * timeout, non-2xx) are logged and counted, never thrown: an unreachable receiver must not stop
 * detection.
 */
export class WebhookOutput implements AlertOutput {
  failures = 0;
  delivered = 0;
  private readonly logger: TaskLogger;
  private readonly fetchImpl: typeof fetch;
  constructor(private readonly options: WebhookOptions) {
    this.logger = options.logger ?? silentLogger;
    this.fetchImpl = options.fetch ?? fetch;
  }
  async send(alert: FalcoAlert): Promise<void> {
    try {
      const res = await this.fetchImpl(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.options.headers },
        body: JSON.stringify(alert),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      this.delivered++;
    } catch (error) {
      this.failures++;
      this.logger.warn({ url: this.options.url, rule: alert.rule, err: (error as Error).message }, 'webhook alert delivery failed');
    }
  }
  async close(): Promise<void> {
    return undefined;
  }
}
