import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { INVENTORY_KINDS, groupVersionPath, type InventoryKind } from '../kinds';
import type { KObject } from '../../k8s/objects';
import { testPki, type TestPki } from './pki';

/*
 * An HTTPS stand-in for kube-apiserver, for tests and benchmarks (no API server can run on these
 * machines). It answers the list and watch requests of the kinds in kinds.ts with the API's
 * documented JSON (https://kubernetes.io/docs/reference/using-api/api-concepts/):
 * - lists `{kind: PodList, apiVersion, metadata: {resourceVersion, continue, remainingItemCount}, items}`
 *   (items without kind/apiVersion, as the server sends them), chunked with `limit` + `continue`;
 *   a continue token older than the last compaction is answered 410 Expired;
 * - watches (`watch=true`): newline-delimited `{type, object}` events after `resourceVersion`,
 *   BOOKMARK events when `allowWatchBookmarks=true`, and for a resourceVersion older than the last
 *   compaction an ERROR event carrying a 410 Expired Status (the server answers 200 first);
 * - a Status 401 for an unknown or expired bearer token, a Status 403 for a namespace the user
 *   may not read (and for cluster-wide requests of namespaced kinds when any namespace is
 *   forbidden, since RBAC then grants them only per namespace).
 * Authentication: bearer tokens, or a client certificate signed by the stand-in's CA.
 */

interface Stored {
  kind: InventoryKind;
  object: KObject;
}

interface WatchEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  stored: Stored;
}

export interface StandInOptions {
  /** Bearer tokens accepted; a token in `expiredTokens` is answered 401. */
  tokens?: readonly string[];
  expiredTokens?: readonly string[];
  /** Namespaces whose namespaced objects the user may not read (403). */
  forbiddenNamespaces?: readonly string[];
  /** Interval of BOOKMARK events on watches that allow them; default 200 ms. */
  bookmarkMs?: number;
}

export class StandInApiServer {
  readonly pki: TestPki = testPki();
  /** Every request: method, path and query, in order (pagination and relists are asserted on it). */
  readonly requests: string[] = [];
  private server: Server | undefined;
  private readonly objects = new Map<string, Stored>();
  private readonly events: WatchEvent[] = [];
  private readonly watchers = new Set<(event: WatchEvent) => void>();
  private readonly open = new Set<ServerResponse>();
  private rv = 100;
  private compactedBelow = 0;
  private readonly tokens: Set<string>;
  readonly expiredTokens: Set<string>;
  readonly forbiddenNamespaces: Set<string>;

  constructor(private readonly options: StandInOptions = {}) {
    this.tokens = new Set(options.tokens ?? ['valid-token']);
    this.expiredTokens = new Set(options.expiredTokens ?? []);
    this.forbiddenNamespaces = new Set(options.forbiddenNamespaces ?? []);
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('stand-in apiserver is not started');
    return `https://127.0.0.1:${address.port}`;
  }

  /** Watch streams open now. */
  get openWatches(): number {
    return this.open.size;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  async start(): Promise<this> {
    const server = createServer({ cert: this.pki.serverCert, key: this.pki.serverKey, ca: this.pki.ca, requestCert: true, rejectUnauthorized: false }, (req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
    await closed;
  }

  /** Creates or replaces an object (`kind` and `metadata.name` required); returns it as stored (uid, resourceVersion). */
  put(raw: KObject): KObject {
    const kind = INVENTORY_KINDS.find((k) => k.kind === raw['kind']);
    const metadata = { ...((raw['metadata'] as KObject | undefined) ?? {}) };
    if (!kind || typeof metadata['name'] !== 'string') throw new Error(`stand-in: cannot store ${JSON.stringify(raw['kind'])} without a known kind and metadata.name`);
    if (!kind.namespaced) delete metadata['namespace'];
    else metadata['namespace'] = metadata['namespace'] ?? 'default';
    const key = keyOf(kind.kind, metadata['namespace'] as string | undefined, metadata['name']);
    const before = this.objects.get(key);
    metadata['uid'] = (before?.object['metadata'] as KObject | undefined)?.['uid'] ?? metadata['uid'] ?? randomUUID();
    metadata['resourceVersion'] = String(++this.rv);
    metadata['creationTimestamp'] = metadata['creationTimestamp'] ?? '2026-01-01T00:00:00Z';
    const stored: Stored = { kind, object: { ...raw, apiVersion: kind.apiVersion, kind: kind.kind, metadata } };
    this.objects.set(key, stored);
    this.emit({ rv: this.rv, type: before ? 'MODIFIED' : 'ADDED', stored });
    return stored.object;
  }

  /** Deletes an object; the DELETED event carries its last state with a new resourceVersion. */
  remove(kindName: string, namespace: string | undefined, name: string): void {
    const kind = INVENTORY_KINDS.find((k) => k.kind === kindName);
    const key = keyOf(kindName, kind?.namespaced ? namespace : undefined, name);
    const stored = this.objects.get(key);
    if (!stored) throw new Error(`stand-in: no ${key}`);
    this.objects.delete(key);
    const object = { ...stored.object, metadata: { ...(stored.object['metadata'] as KObject), resourceVersion: String(++this.rv) } };
    this.emit({ rv: this.rv, type: 'DELETED', stored: { kind: stored.kind, object } });
  }

  /** Forgets the event history (etcd compaction): older resourceVersions and continue tokens now get 410. */
  compact(): void {
    this.compactedBelow = this.rv;
    this.events.length = 0;
  }

  /** Ends every open watch (the server's watch timeout): clients must watch again from their last resourceVersion. */
  closeWatches(): void {
    for (const res of this.open) res.end();
  }

  private emit(event: WatchEvent): void {
    this.events.push(event);
    for (const watcher of this.watchers) watcher(event);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', 'https://stand-in');
    const user = this.authenticate(req);
    if (!user) return status(res, 401, 'Unauthorized', 'Unauthorized');
    const route = this.route(url.pathname);
    if (!route || req.method !== 'GET') return status(res, 404, 'NotFound', `the server could not find the requested resource`);
    const { kind, namespace } = route;
    const verb = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1' ? 'watch' : 'list';
    if (kind.namespaced && (namespace ? this.forbiddenNamespaces.has(namespace) : this.forbiddenNamespaces.size > 0)) {
      const group = kind.apiVersion.includes('/') ? kind.apiVersion.split('/')[0] : '';
      const where = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
      return status(res, 403, 'Forbidden', `${kind.resource} is forbidden: User "${user}" cannot ${verb} resource "${kind.resource}" in API group "${group}" ${where}`, { kind: kind.resource, ...(group ? { group } : {}) });
    }
    if (verb === 'watch') return this.watch(url, kind, namespace, res);
    return this.list(url, kind, namespace, res);
  }

  private authenticate(req: IncomingMessage): string | undefined {
    const header = req.headers.authorization ?? '';
    if (header.startsWith('Bearer ')) {
      const token = header.slice('Bearer '.length);
      return this.tokens.has(token) && !this.expiredTokens.has(token) ? 'system:serviceaccount:bulkhead:reader' : undefined;
    }
    const socket = req.socket as TLSSocket;
    if (socket.authorized) return String(socket.getPeerCertificate().subject?.CN ?? '') || undefined;
    return undefined;
  }

  private route(pathname: string): { kind: InventoryKind; namespace?: string } | undefined {
    for (const kind of INVENTORY_KINDS) {
      const base = groupVersionPath(kind.apiVersion);
      if (pathname === `${base}/${kind.resource}`) return { kind };
      const m = kind.namespaced ? new RegExp(`^${base}/namespaces/([^/]+)/${kind.resource}$`).exec(pathname) : null;
      if (m?.[1]) return { kind, namespace: decodeURIComponent(m[1]) };
    }
    return undefined;
  }

  private matching(kind: InventoryKind, namespace: string | undefined): Stored[] {
    return [...this.objects.values()].filter((s) => s.kind === kind && (!namespace || (s.object['metadata'] as KObject)['namespace'] === namespace));
  }

  private list(url: URL, kind: InventoryKind, namespace: string | undefined, res: ServerResponse): void {
    const limit = Number(url.searchParams.get('limit') ?? '0');
    const token = url.searchParams.get('continue');
    let listRv = this.rv;
    let after = '';
    if (token) {
      const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv: number; after: string };
      if (parsed.rv < this.compactedBelow) {
        return status(res, 410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      }
      listRv = parsed.rv;
      after = parsed.after;
    }
    const all = this.matching(kind, namespace)
      .map((s) => ({ key: keyOf('', (s.object['metadata'] as KObject)['namespace'] as string | undefined, (s.object['metadata'] as KObject)['name'] as string), s }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .filter((e) => e.key > after);
    const page = limit > 0 ? all.slice(0, limit) : all;
    const rest = all.length - page.length;
    const last = page[page.length - 1];
    const metadata: KObject = { resourceVersion: String(listRv) };
    if (rest > 0 && last) {
      metadata['continue'] = Buffer.from(JSON.stringify({ rv: listRv, after: last.key })).toString('base64url');
      metadata['remainingItemCount'] = rest;
    }
    // Items of a list carry no kind or apiVersion: the list's kind says it.
    const items = page.map(({ s }) => {
      const { kind: _k, apiVersion: _a, ...item } = s.object;
      return item;
    });
    json(res, 200, { kind: `${kind.kind}List`, apiVersion: kind.apiVersion, metadata, items });
  }

  private watch(url: URL, kind: InventoryKind, namespace: string | undefined, res: ServerResponse): void {
    const from = url.searchParams.get('resourceVersion');
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    this.open.add(res);
    const send = (type: string, object: KObject): boolean => !res.writableEnded && !res.destroyed && res.write(`${JSON.stringify({ type, object })}\n`);
    const matches = (e: WatchEvent): boolean => e.stored.kind === kind && (!namespace || (e.stored.object['metadata'] as KObject)['namespace'] === namespace);
    const fromRv = from ? Number(from) : NaN;
    if (from && from !== '0' && fromRv < this.compactedBelow) {
      send('ERROR', statusBody(410, 'Expired', `too old resource version: ${from} (${this.compactedBelow})`));
      this.open.delete(res);
      return void res.end();
    }
    if (!from || from === '0') for (const s of this.matching(kind, namespace)) send('ADDED', s.object);
    else for (const e of this.events) if (e.rv > fromRv && matches(e)) send(e.type, e.stored.object);
    const watcher = (e: WatchEvent): void => void (matches(e) && send(e.type, e.stored.object));
    this.watchers.add(watcher);
    const bookmarks = url.searchParams.get('allowWatchBookmarks') === 'true'
      ? setInterval(() => send('BOOKMARK', { kind: kind.kind, apiVersion: kind.apiVersion, metadata: { resourceVersion: String(this.rv) } }), this.options.bookmarkMs ?? 200)
      : undefined;
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? '0');
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    res.on('close', () => {
      this.watchers.delete(watcher);
      this.open.delete(res);
      clearInterval(bookmarks);
      clearTimeout(timer);
    });
  }
}

function keyOf(kind: string, namespace: string | undefined, name: unknown): string {
  return `${kind}/${namespace ?? ''}/${String(name)}`;
}

function statusBody(code: number, reason: string, message: string, details?: KObject): KObject {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function status(res: ServerResponse, code: number, reason: string, message: string, details?: KObject): void {
  json(res, code, statusBody(code, reason, message, details));
}

function json(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A kubeconfig (YAML is a superset of JSON) for the stand-in: a bearer token, or the client certificate when no token is given. */
export function standInKubeconfig(server: StandInApiServer, options: { token?: string; context?: string; namespace?: string } = {}): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const context = options.context ?? 'stand-in';
  const user = options.token
    ? { token: options.token }
    : { 'client-certificate-data': b64(server.pki.clientCert), 'client-key-data': b64(server.pki.clientKey) };
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'stand-in', cluster: { server: server.url, 'certificate-authority-data': b64(server.pki.ca) } }],
    users: [{ name: 'reader', user }],
    contexts: [{ name: context, context: { cluster: 'stand-in', user: 'reader', ...(options.namespace ? { namespace: options.namespace } : {}) } }],
    'current-context': context,
  });
}
