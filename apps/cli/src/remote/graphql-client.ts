import type { RemoteApi, RemoteTask, RemoteUpload } from '@bulkhead/plugin-sdk/cli';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CliError } from '../cli-io';

/** A minimal GraphQL-over-HTTP client for `--server URL` (the API's /graphql endpoint). */
export class GraphqlClient implements RemoteApi {
  readonly endpoint: string;

  /** `token`: the API token sent as `Authorization: Bearer` (--token or BULKHEAD_TOKEN). */
  constructor(
    serverUrl: string,
    private readonly token?: string,
  ) {
    let url: URL;
    try {
      url = new URL(serverUrl);
    } catch {
      throw new CliError(`--server ${JSON.stringify(serverUrl)} is not a URL (expected e.g. http://127.0.0.1:4000)`, 2);
    }
    if (!url.pathname.endsWith('/graphql')) url.pathname = `${url.pathname.replace(/\/$/, '')}/graphql`;
    this.endpoint = url.toString();
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      throw new CliError(`cannot reach the Bulkhead API at ${this.endpoint}: ${(error as Error).message}`);
    }
    const text = await response.text();
    let body: { data?: T; errors?: { message: string; extensions?: { code?: unknown } }[] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new CliError(`the API at ${this.endpoint} answered HTTP ${response.status} with a non-JSON body: ${text.slice(0, 200)}`);
    }
    if (body.errors?.length) {
      const hint = body.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')
        ? this.token
          ? ' (check the token given by --token or BULKHEAD_TOKEN)'
          : ' (pass --token or set BULKHEAD_TOKEN; `bulkhead token create` makes one)'
        : '';
      throw new CliError(body.errors.map((e) => e.message).join('; ') + hint);
    }
    if (!body.data) throw new CliError(`the API at ${this.endpoint} answered HTTP ${response.status} without data`);
    return body.data;
  }

  async upload(file: string, { contentType = 'application/octet-stream' }: { contentType?: string } = {}): Promise<RemoteUpload> {
    let size: number;
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a file');
      size = info.size;
    } catch (error) {
      throw new CliError(`cannot upload ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const url = new URL(this.endpoint.replace(/\/graphql$/, '/uploads'));
    url.searchParams.set('name', path.basename(file));
    const headers = { 'content-type': contentType, 'content-length': String(size), accept: 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) };
    // Streamed from disk (an image archive may be gigabytes); the answer may come before the whole body (413).
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'POST', headers });
      req.on('response', (res: IncomingMessage) => {
        const parts: Buffer[] = [];
        res.on('data', (chunk: Buffer) => parts.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      pipeline(createReadStream(file), req).catch(() => undefined);
    }).catch((error: unknown) => {
      throw new CliError(`cannot upload ${file} to ${url.origin}/uploads: ${(error as Error).message}`);
    });
    let body: Partial<RemoteUpload> & { error?: string };
    try {
      body = JSON.parse(answer.text) as typeof body;
    } catch {
      throw new CliError(`the API at ${url.origin}/uploads answered HTTP ${answer.status} with a non-JSON body: ${answer.text.slice(0, 200)}`);
    }
    if (answer.status !== 201 || typeof body.target !== 'string') {
      const hint = answer.status === 401 ? (this.token ? ' (check the token given by --token or BULKHEAD_TOKEN)' : ' (pass --token or set BULKHEAD_TOKEN)') : '';
      throw new CliError(`upload of ${file} refused (HTTP ${answer.status}): ${body.error ?? answer.text.slice(0, 200)}${hint}`);
    }
    return body as RemoteUpload;
  }

  waitForTask(id: string, onUpdate: (task: RemoteTask) => void = () => undefined): Promise<RemoteTask> {
    return waitForTask(this, id, onUpdate);
  }
}

export type { RemoteTask };

const TASK_FIELDS = 'id status progress progressMessage error result';

/**
 * Polls a task until it is finished, reporting progress changes. Polling (not the subscription)
 * keeps the CLI free of a WebSocket dependency and survives API restarts while waiting.
 */
export async function waitForTask(
  client: GraphqlClient,
  id: string,
  onProgress: (task: RemoteTask) => void,
  { intervalMs = 300, timeoutMs = 30 * 60_000 } = {},
): Promise<RemoteTask> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const { task } = await client.request<{ task: RemoteTask | null }>(`query($id: ID!) { task(id: $id) { ${TASK_FIELDS} } }`, { id });
    if (!task) throw new CliError(`task ${id} does not exist on the server`);
    const seen = `${task.status}:${task.progress}:${task.progressMessage}`;
    if (seen !== last) onProgress(task);
    last = seen;
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(task.status)) return task;
    if (Date.now() > deadline) throw new CliError(`task ${id} did not finish within ${Math.round(timeoutMs / 1000)} s (last status ${task.status})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export { TASK_FIELDS };
