import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request an HttpReceiver took in. */
export interface ReceivedRequest {
  headers: IncomingMessage['headers'];
  body: string;
  /** The request target (path and query). */
  path: string;
}

/** A loopback HTTP server that records every request (webhook, Slack, alert output targets). */
export interface HttpReceiver {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** What arrived, oldest first; `received.length = 0` forgets it. */
  received: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * Starts an HttpReceiver on a free loopback port. Each request is answered with `status()`
 * (default 200) and body `ok` after its body was read, so a test can script failures.
 */
export async function startHttpReceiver(options: { status?: () => number } = {}): Promise<HttpReceiver> {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), path: req.url ?? '' });
      res.statusCode = options.status?.() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { port, url: `http://127.0.0.1:${port}`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Polls `read` until it gives a value (not undefined), failing with `timed out waiting for <what>` after `ms`. */
export async function waitFor<T>(what: string, read: () => Promise<T | undefined> | T | undefined, ms = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
