import type { RemoteApi, RemoteTask } from '@bulkhead/plugin-sdk/cli';
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
