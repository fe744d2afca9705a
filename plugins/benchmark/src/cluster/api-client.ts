import { request, Agent, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { ClusterConnection } from './connect';
import { loadClientNode } from './connect';
import { resourcePath, type InventoryKind } from './kinds';

/** A non-2xx answer of the API server, with its Status (reason, message). */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

export interface ListPage {
  items: unknown[];
  resourceVersion: string;
  continueToken?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchHandlers {
  event(type: WatchEventType, object: Record<string, unknown>): void;
  /** The stream ended: null when the server closed it, else the error (a KubeApiError for a non-200 answer). */
  done(error: unknown): void;
}

/** Items per list request: pages keep memory and the server's work per request bounded. */
export const LIST_PAGE_SIZE = 500;
/** Largest list page read (500 pods are a few MiB): an API server that sends more is refused, not buffered. */
export const MAX_LIST_PAGE_BYTES = 64 * 2 ** 20;

/**
 * Reads the API: paginated lists over HTTPS with the kubeconfig's credentials (parsed as plain
 * JSON: no typed models for 10,000 pods), and watches through @kubernetes/client-node's Watch.
 * Credentials are applied per request, so an exec plugin's short-lived token is refreshed.
 */
export class KubeApiClient {
  private agent: Agent | undefined;

  constructor(
    private readonly connection: ClusterConnection,
    private readonly options: { maxPageBytes?: number } = {},
  ) {}

  async list(kind: InventoryKind, options: { namespace?: string; continueToken?: string; limit?: number; signal?: AbortSignal } = {}): Promise<ListPage> {
    const query = new URLSearchParams({ limit: String(options.limit ?? LIST_PAGE_SIZE) });
    if (options.continueToken) query.set('continue', options.continueToken);
    const path = `${resourcePath(kind, options.namespace)}?${query.toString()}`;
    const body = (await this.get(path, options.signal)) as { metadata?: { resourceVersion?: unknown; continue?: unknown }; items?: unknown };
    if (!Array.isArray(body.items)) throw new KubeApiError(0, 'BadResponse', `${path}: the answer is not a list (no items)`, path);
    const continueToken = typeof body.metadata?.continue === 'string' && body.metadata.continue ? body.metadata.continue : undefined;
    return { items: body.items, resourceVersion: String(body.metadata?.resourceVersion ?? ''), ...(continueToken ? { continueToken } : {}) };
  }

  /** Watches from `resourceVersion` with bookmarks; returns a function that stops the watch. */
  async watch(kind: InventoryKind, resourceVersion: string, handlers: WatchHandlers, namespace?: string): Promise<() => void> {
    const k8s = await loadClientNode();
    const watch = new k8s.Watch(this.connection.kc);
    const path = resourcePath(kind, namespace);
    const controller = await watch.watch(
      path,
      { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 300 },
      (type: string, object: unknown) => handlers.event(type as WatchEventType, (object ?? {}) as Record<string, unknown>),
      (error: unknown) => {
        const code = (error as { statusCode?: unknown } | null)?.statusCode;
        handlers.done(typeof code === 'number' ? new KubeApiError(code, httpReason(code), `${path}: watch answered ${code} ${(error as Error).message}`, path) : error);
      },
    );
    return () => controller.abort();
  }

  close(): void {
    this.agent?.destroy();
  }

  private async get(path: string, signal?: AbortSignal): Promise<unknown> {
    const url = new URL(path, this.connection.server);
    const options: RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
    await this.connection.kc.applyToHTTPSOptions(options);
    const tls = url.protocol === 'https:';
    if (tls && !this.agent) {
      // One keep-alive agent with the kubeconfig's TLS material (CA, client certificate).
      this.agent = new Agent({ keepAlive: true, maxSockets: 4, ca: options.ca, cert: options.cert, key: options.key, rejectUnauthorized: options.rejectUnauthorized !== false, ...(options.servername ? { servername: options.servername } : {}) });
    }
    return new Promise((resolve, reject) => {
      const req = (tls ? request : httpRequest)(url, { method: 'GET', headers: options.headers, ...(options.auth ? { auth: options.auth } : {}), ...(tls ? { agent: this.agent } : {}), ...(signal ? { signal } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          const max = this.options.maxPageBytes ?? MAX_LIST_PAGE_BYTES;
          if (size > max) {
            req.destroy();
            return reject(new KubeApiError(res.statusCode ?? 0, 'TooLarge', `${path}: the answer exceeds ${max} bytes`, path));
          }
          chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            return reject(new KubeApiError(status, httpReason(status), `${path}: answered ${status} with a body that is not JSON`, path));
          }
          if (status >= 200 && status < 300) return resolve(body);
          // Only an API Status is quoted: another server's JSON stays out of task errors.
          const s = (body ?? {}) as { kind?: unknown; reason?: unknown; message?: unknown };
          const isStatus = s.kind === 'Status';
          reject(new KubeApiError(status, isStatus && typeof s.reason === 'string' ? s.reason : httpReason(status), isStatus && typeof s.message === 'string' ? s.message : `${path}: answered ${status}`, path));
        });
      });
      req.on('error', reject);
      req.end();
    });
  }
}

function httpReason(code: number): string {
  return code === 401 ? 'Unauthorized' : code === 403 ? 'Forbidden' : code === 404 ? 'NotFound' : code === 410 ? 'Expired' : `HTTP${code}`;
}
