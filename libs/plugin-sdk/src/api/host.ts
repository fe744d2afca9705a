import type { PluginKind } from '../manifest';
import type { PlatformNotifier } from '../notifications';
import type { FindingResult, OsInfo, PackageResult, Severity } from '../results';

/**
 * Host capabilities a plugin's API module is given (inject them with the tokens in tokens.ts).
 * They are interfaces, not classes: the host implements them over Postgres and Redis, and a
 * plugin never sees TypeORM, BullMQ or ioredis.
 */

// ---- tasks ---------------------------------------------------------------------------------

export type HostTaskStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface HostTask {
  id: string;
  kind: PluginKind;
  type: string;
  /** Id and version of the plugin that handles (or handled) the task. */
  pluginId: string | null;
  pluginVersion: string | null;
  status: HostTaskStatus;
  /** Fraction done, 0 to 1, and the plugin's last progress message. */
  progress: number;
  progressMessage: string | null;
  /** How many times a worker started the task. */
  attempts: number;
  input: unknown;
  result: unknown;
  error: string | null;
  labels: Record<string, string>;
  parentTaskId: string | null;
  /** The artifact (image) the task produced or worked on, when there is one: its id. */
  artifactId: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface SubmitTaskRequest {
  kind: PluginKind;
  type: string;
  /** Validated against the task's input schema; a bad input rejects with a TaskInputError. */
  input: unknown;
  labels?: Record<string, string>;
  parentTaskId?: string;
}

export interface HostTaskFilter {
  kind?: PluginKind;
  types?: readonly string[];
  statuses?: readonly HostTaskStatus[];
  /** Every label given must be present with that value. */
  labels?: Record<string, string>;
}

export interface Page<T> {
  items: T[];
  /** The cursor of each item (same order), for `after` and for Relay edges. */
  cursors: string[];
  totalCount: number;
  hasNextPage: boolean;
  /** Opaque cursor of the last item, for `after`. */
  endCursor: string | null;
}

export interface PageRequest {
  /** 1..500; the host clamps it. */
  first?: number;
  after?: string | null;
}

export interface HostTasks {
  /** Records a task and queues its job (or returns the live task for the same request). */
  submit(request: SubmitTaskRequest): Promise<HostTask>;
  get(id: string): Promise<HostTask | null>;
  /** Newest first. */
  list(filter: HostTaskFilter, page?: PageRequest): Promise<Page<HostTask>>;
}

// ---- artifacts -----------------------------------------------------------------------------

export interface HostArtifact {
  id: string;
  /** Image id: the config digest (the same whatever form the image was read from). */
  digest: string;
  /** Every manifest digest the image is known by. */
  manifestDigests: string[];
  references: string[];
  os: OsInfo | null;
}

export interface HostArtifacts {
  /** By image id (config digest) or by any of its manifest digests. */
  get(digest: string): Promise<HostArtifact | null>;
  /**
   * Absolute paths of the executables in the artifact's final file system (as the scanner
   * recorded them), or null when the artifact is unknown or was scanned without that list.
   */
  executables(digest: string): Promise<ReadonlySet<string> | null>;
  /**
   * One page of the artifact's package inventory as the scanner stored it, ordered by name (for
   * reports an API builds, such as an SBOM); null when the artifact is unknown. Page through
   * with `endCursor` while `hasNextPage`.
   */
  packages(digest: string, page?: PageRequest): Promise<PackagePage | null>;
}

/** A page of HostArtifacts.packages. */
export interface PackagePage {
  items: PackageResult[];
  hasNextPage: boolean;
  endCursor: string | null;
}

// ---- findings ------------------------------------------------------------------------------

export type FindingStatus = 'OPEN' | 'RESOLVED' | 'SUPPRESSED';

/** A finding as stored: what a plugin emitted plus the host's identity, times and lifecycle. */
export interface StoredFinding extends Required<Pick<FindingResult, 'kind' | 'severity' | 'ruleId' | 'title' | 'target' | 'fingerprint'>> {
  id: string;
  location: string | null;
  data: Record<string, unknown>;
  status: FindingStatus;
  /** True while OPEN after having been RESOLVED once. */
  reopened: boolean;
  /** When it was last reported again after being RESOLVED (null if never). */
  reopenedAt: Date | null;
  taskId: string | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
  resolvedAt: Date | null;
}

/**
 * A condition on a text value inside a finding's `data` JSON, addressed by its path of keys
 * (`['output_fields', 'k8s.ns.name']`). Alternatives in `anyOfPaths` are COALESCEd in order,
 * so one filter can read whichever field an event source fills.
 */
export interface FindingDataCondition {
  path: readonly string[];
  /** Further paths tried, in order, where `path` is absent (COALESCE). */
  fallbackPaths?: readonly (readonly string[])[];
  equals?: string;
  oneOf?: readonly string[];
  /** Text comparisons (RFC 3339 UTC times with a fixed number of fraction digits sort as text). */
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
}

/**
 * Conditions of which at least one must hold (SQL OR), e.g. an image given either as its
 * repository or as its full reference, which live in two fields: not a COALESCE, since both
 * fields may be present and either may match.
 */
export interface FindingDataAlternatives {
  anyOf: readonly FindingDataCondition[];
}

export interface FindingFilter {
  kinds?: readonly PluginKind[];
  severities?: readonly Severity[];
  ruleIds?: readonly string[];
  targets?: readonly string[];
  statuses?: readonly FindingStatus[];
  taskId?: string;
  /** All must hold. */
  data?: readonly (FindingDataCondition | FindingDataAlternatives)[];
}

export interface FindingOrder {
  /**
   * Order by this text value of `data`, ties by id; only findings that have the value are
   * listed. Default: lastSeenAt.
   */
  dataPath?: readonly string[];
  /** Largest (newest) first; default true. */
  descending?: boolean;
}

/**
 * What findings are counted by: a column, or a text value inside `data` (absent values count
 * under the empty string, so every group has a key that can be paged past).
 */
export type FindingGroupKey = 'kind' | 'severity' | 'ruleId' | 'target' | 'status' | { dataPath: readonly string[] };

/** One group of findings: its key values (in `groupBy` order) and how many findings it holds. */
export interface FindingGroup {
  keys: string[];
  count: number;
}

/** The most groups one `groups()` page returns (a group is two or three short values and a count). */
export const MAX_FINDING_GROUPS_PAGE = 10_000;

export interface FindingGroupRequest {
  groupBy: readonly FindingGroupKey[];
  /** 1..MAX_FINDING_GROUPS_PAGE groups, ordered by their keys (ascending text); default 500. */
  first?: number;
  after?: string | null;
}

export interface HostFindings {
  query(filter: FindingFilter, page?: PageRequest, order?: FindingOrder): Promise<Page<StoredFinding>>;
  get(id: string): Promise<StoredFinding | null>;
  /**
   * Counts of the findings matching `filter` (within the request's team) per distinct value of
   * `groupBy`, one page of groups ordered by their keys: severity counts of a page of images in
   * one statement, or the targets (images) that hold an advisory. `totalCount` is the number of
   * groups.
   */
  groups(filter: FindingFilter, request: FindingGroupRequest): Promise<Page<FindingGroup>>;
  /**
   * Stores findings the API itself produced (not through a task): upserted by
   * (target, fingerprint) in one statement; returns the rows it inserted, which the host also
   * announces on the finding events (to every API replica).
   */
  record(findings: readonly FindingResult[]): Promise<StoredFinding[]>;
}

export interface FindingEvents {
  /**
   * Every finding whose lifecycle changed, wherever (a worker's task, any API replica),
   * delivered once per subscriber: newly stored (OPEN), reported again after being resolved
   * (OPEN, `reopened`), resolved by a complete run that no longer reported it (RESOLVED). Tell
   * them apart by `status` (a subscriber that wants only new findings keeps the OPEN ones).
   * Returns an async iterator that ends when `signal` aborts.
   */
  subscribe(filter: Pick<FindingFilter, 'kinds' | 'ruleIds'>, signal: AbortSignal): AsyncIterableIterator<StoredFinding>;
}

// ---- plain HTTP bodies ---------------------------------------------------------------------

/**
 * Plugin HTTP routes get their request body unread (the host parses bodies of /graphql only):
 * read it with HostBodyReader, which enforces the installation's size limit while reading.
 */
export type HostRequest = NodeJS.ReadableStream & { headers: Record<string, string | string[] | undefined> };

/** The request body (or one line of it) was larger than the limit: answer 413 (and close the connection). */
export interface BodyTooLarge {
  tooLarge: true;
  limit: number;
}

/** One non-blank line of a streamed body (LF or CRLF; numbered from 1, blank lines counted). */
export type BodyLine = { number: number; text: string } | { number: number; tooLarge: true; limit: number };

export interface HostBodyReader {
  /** The configured limit in bytes (BULKHEAD_MAX_EVENT_BODY_BYTES). */
  readonly limit: number;
  /** A declared Content-Length over the limit, before reading anything; else undefined. */
  declaredTooLarge(request: HostRequest): BodyTooLarge | undefined;
  /** Reads a whole (small) body with the limit; an absent content-length is fine. */
  readAll(request: HostRequest): Promise<Buffer | BodyTooLarge>;
  /**
   * Streams the body's lines (JSON lines) holding one line at a time: a body of any length, each
   * line at most `limit` bytes. A longer line is reported as too large and skipped; reading goes on.
   */
  lines(request: HostRequest): AsyncIterable<BodyLine>;
}

// ---- a plugin's own tables -----------------------------------------------------------------

/**
 * SQL on the platform's database, in the platform's schema (search_path), for the tables a
 * plugin's own migrations created. Parameters are positional ($1, $2 ...): never interpolate.
 */
export interface PluginDatabase {
  query<T = Record<string, unknown>>(sql: string, parameters?: readonly unknown[]): Promise<T[]>;
  transaction<T>(work: (db: Pick<PluginDatabase, 'query'>) => Promise<T>): Promise<T>;
}

/**
 * `HOST_NOTIFICATIONS`: raises a notification (notifications.ts in the SDK root) for the
 * request's team, e.g. from a plugin route that decided something a person must hear about. The
 * same contract as `TaskPlatform.notify` on a worker; outside a request it fails closed.
 */
export type HostNotifications = PlatformNotifier;
