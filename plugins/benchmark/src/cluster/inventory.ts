import { setMaxListeners } from 'node:events';
import { BadInputError, silentLogger, type TaskLogger } from '@bulkhead/plugin-sdk';
import { KubeApiError, type KubeApiClient } from './api-client';
import { INVENTORY_KINDS, type InventoryKind } from './kinds';
import { toClusterObject, type ClusterObject } from './model';
import type { InventoryNote } from './store';

/** What changed in the inventory: objects added or modified, and objects gone. */
export interface InventoryChange {
  upserted: ClusterObject[];
  deleted: ClusterObject[];
}

/** One list/watch stream: a kind, cluster-wide or in one namespace, and where it stands. */
interface Scope {
  kind: InventoryKind;
  namespace?: string;
  resourceVersion: string;
}

export interface InventoryOptions {
  /** Only these namespaces (namespaced kinds only); default every namespace, and cluster-scoped kinds too. */
  namespaces?: readonly string[];
  logger?: TaskLogger;
  /** Called after each list page with the objects held so far (progress). */
  onListed?: (objects: number) => void;
}

/**
 * The cluster's objects, kept current: list every kind (paged with `limit` + `continue`), then
 * watch each from its list's resourceVersion with bookmarks. A watch answered 410 Expired (the
 * server no longer holds that history) relists its scope and reports what changed meanwhile,
 * deletions included. A namespace or kind the credentials may not read (403) is left out with a
 * note, not a failure; a 401 (missing, invalid or expired credentials) ends the work with a
 * clear error.
 */
export class ClusterInventory {
  readonly objects = new Map<string, ClusterObject>();
  readonly notes: InventoryNote[] = [];
  private readonly scopes: Scope[] = [];
  private readonly logger: TaskLogger;

  constructor(
    private readonly client: KubeApiClient,
    private readonly server: string,
    private readonly options: InventoryOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
  }

  /** The full list of every kind. Call once before watch(). */
  async list(signal?: AbortSignal): Promise<void> {
    const restricted = this.options.namespaces && this.options.namespaces.length > 0 ? this.options.namespaces : undefined;
    for (const kind of INVENTORY_KINDS) {
      signal?.throwIfAborted();
      if (restricted) {
        if (kind.namespaced) for (const namespace of restricted) await this.listScope({ kind, namespace, resourceVersion: '' }, signal);
        continue;
      }
      const whole = await this.listScope({ kind, resourceVersion: '' }, signal, { quiet: kind.namespaced });
      if (whole || !kind.namespaced) continue;
      // Not allowed cluster-wide (RBAC granted per namespace): each namespace the inventory knows.
      const namespaces = this.namespaceNames();
      if (namespaces.length === 0) {
        this.note({ kind: kind.kind, message: `cannot list ${kind.resource} in any namespace: forbidden cluster-wide, and the namespaces are unknown (listing namespaces is forbidden too)` });
        continue;
      }
      for (const namespace of namespaces) await this.listScope({ kind, namespace, resourceVersion: '' }, signal);
    }
  }

  /**
   * Watches every listed scope until `signal` aborts, calling `onChange` for each event (a relist
   * after 410 Expired reports its differences as one change). Rejects on 401.
   */
  async watch(onChange: (change: InventoryChange) => void, signal: AbortSignal): Promise<void> {
    // One stop for every scope: the caller's signal, or the first scope that fails (a 401 ends
    // them all, so no watch outlives the work).
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) stop.abort(signal.reason);
    // One abort listener per scope's open watch: more than Node's default warning threshold.
    setMaxListeners(0, stop.signal);
    try {
      await Promise.all(
        this.scopes.map((scope) =>
          this.watchScope(scope, onChange, stop.signal).catch((error: unknown) => {
            stop.abort(error);
            throw error;
          }),
        ),
      );
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private namespaceNames(): string[] {
    return [...this.objects.values()].filter((o) => o.kind === 'Namespace').map((o) => o.name).sort();
  }

  /** Lists one scope into the inventory; false when forbidden (noted unless quiet). Returns the change against what was held. */
  private async listScope(scope: Scope, signal?: AbortSignal, options: { quiet?: boolean } = {}): Promise<InventoryChange | false> {
    for (let attempt = 1; ; attempt++) {
      try {
        const seen = new Map<string, ClusterObject>();
        let continueToken: string | undefined;
        let resourceVersion = '';
        do {
          const page = await this.client.list(scope.kind, { ...(scope.namespace ? { namespace: scope.namespace } : {}), ...(continueToken ? { continueToken } : {}), ...(signal ? { signal } : {}) });
          resourceVersion ||= page.resourceVersion;
          for (const item of page.items) {
            const o = toClusterObject(item, scope.kind.kind, scope.kind.apiVersion);
            if (o) seen.set(o.uid, o);
          }
          continueToken = page.continueToken;
          this.options.onListed?.(this.objects.size + seen.size);
        } while (continueToken);
        const change = this.replaceScope(scope, seen);
        if (!this.scopes.includes(scope)) this.scopes.push(scope);
        scope.resourceVersion = resourceVersion;
        return change;
      } catch (error) {
        if (!(error instanceof KubeApiError)) throw error;
        if (error.code === 401) throw this.unauthorized(error);
        if (error.code === 403) {
          if (!options.quiet) this.note({ kind: scope.kind.kind, ...(scope.namespace ? { namespace: scope.namespace } : {}), message: error.message });
          return false;
        }
        // A continue token that outlived the server's history: start the list again.
        if (error.code === 410 && attempt < 3) continue;
        throw error;
      }
    }
  }

  private replaceScope(scope: Scope, seen: Map<string, ClusterObject>): InventoryChange {
    const deleted: ClusterObject[] = [];
    for (const o of this.objects.values()) {
      if (o.kind === scope.kind.kind && (!scope.namespace || o.namespace === scope.namespace) && !seen.has(o.uid)) deleted.push(o);
    }
    for (const o of deleted) this.objects.delete(o.uid);
    const upserted: ClusterObject[] = [];
    for (const o of seen.values()) {
      if (this.objects.get(o.uid)?.resourceVersion !== o.resourceVersion) upserted.push(o);
      this.objects.set(o.uid, o);
    }
    return { upserted, deleted };
  }

  private async watchScope(scope: Scope, onChange: (change: InventoryChange) => void, signal: AbortSignal): Promise<void> {
    let backoffMs = 100;
    while (!signal.aborted) {
      let expired = false;
      const ended = await new Promise<unknown>((resolve) => {
        let stop: (() => void) | undefined;
        const onAbort = (): void => stop?.();
        signal.addEventListener('abort', onAbort, { once: true });
        this.client
          .watch(scope.kind, scope.resourceVersion, {
            event: (type, object) => {
              if (type === 'ERROR') {
                if (object['code'] === 410) expired = true;
                else this.logger.warn({ kind: scope.kind.kind, namespace: scope.namespace, status: object }, 'watch error event');
                return;
              }
              const rv = (object['metadata'] as { resourceVersion?: unknown } | undefined)?.resourceVersion;
              if (typeof rv === 'string' && rv) scope.resourceVersion = rv;
              if (type === 'BOOKMARK') return;
              const o = toClusterObject(object, scope.kind.kind, scope.kind.apiVersion);
              if (!o) return;
              if (type === 'DELETED') {
                this.objects.delete(o.uid);
                onChange({ upserted: [], deleted: [o] });
              } else {
                this.objects.set(o.uid, o);
                onChange({ upserted: [o], deleted: [] });
              }
              backoffMs = 100;
            },
            done: (error) => {
              signal.removeEventListener('abort', onAbort);
              resolve(error);
            },
          }, scope.namespace)
          .then((s) => {
            stop = s;
            if (signal.aborted) s();
          })
          .catch(resolve);
      });
      if (signal.aborted) return;
      if (ended instanceof KubeApiError && ended.code === 401) throw this.unauthorized(ended);
      if (ended instanceof KubeApiError && ended.code === 403) {
        this.note({ kind: scope.kind.kind, ...(scope.namespace ? { namespace: scope.namespace } : {}), message: `watch forbidden: ${ended.message}` });
        return;
      }
      if (expired || (ended instanceof KubeApiError && ended.code === 410)) {
        this.logger.info({ kind: scope.kind.kind, namespace: scope.namespace }, 'watch expired (410): relisting');
        const change = await this.listScope(scope, signal).catch((error: unknown) => {
          if (error instanceof BadInputError) throw error;
          this.logger.warn({ err: error, kind: scope.kind.kind }, 'relist failed: retrying');
          return undefined;
        });
        if (change && (change.upserted.length > 0 || change.deleted.length > 0)) onChange(change);
        if (change === undefined) await sleep(backoffMs, signal);
        continue;
      }
      if (ended) {
        this.logger.warn({ err: ended, kind: scope.kind.kind, namespace: scope.namespace }, 'watch ended with an error: watching again');
        await sleep(backoffMs, signal);
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  }

  private note(note: InventoryNote): void {
    this.notes.push(note);
    this.logger.warn(note, 'inventory is partial');
  }

  private unauthorized(error: KubeApiError): BadInputError {
    return new BadInputError(`the API server ${this.server} answered 401 Unauthorized (${error.path}): the credentials are missing, invalid or expired — renew the token or certificate in the kubeconfig`);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
