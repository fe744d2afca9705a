import { Inject, Injectable } from '@nestjs/common';
import {
  HOST_ARTIFACTS,
  HOST_BODY_READER,
  HOST_REQUEST_CONTEXT,
  jsonNestingDepth,
  MAX_JSON_NESTING,
  type HostArtifacts,
  type HostBodyReader,
  type HostRequest,
  type HostRequestContext,
} from '@bulkhead/plugin-sdk/api';
import { parseFalcoAlert, type FalcoAlert } from '../../alerts/alert';
import { AuditWebhookHandler } from '../../audit-webhook';
import { detectDrift } from '../../drift';
import { EventEvaluator } from '../../engine/evaluator';
import { classifyJson, type InputItem } from '../../events/reader';
import type { SyscallEvent } from '../../fields/syscall';
import { AlertRecorder, type RaisedAlert } from '../alerts/alert-recorder';
import type { RuntimeDetection } from '../detection';
import { ImageInventoryCache } from '../drift/image-inventory-cache';
import { ALERT_RECORDER, RUNTIME_API_CONFIG, RUNTIME_DETECTION } from '../tokens';
import type { RuntimeApiConfig } from '../config';
import { notConfigured, Samples, tooDeep, tooLarge, tooManyFindings, type IngestResponse } from './ingest-response';

/** Alerts stored per batch while a stream is read: memory stays flat, INSERTs stay few. */
const ALERT_BATCH = 500;

/**
 * The runtime ingest endpoints without HTTP: each takes the request body as a stream and
 * answers a status and a JSON body. Bodies are read with the host's limit enforced while
 * reading; /events applies it per line, so a stream may be of any length.
 */
@Injectable()
export class RuntimeIngestService {
  private readonly auditHandler: AuditWebhookHandler | undefined;
  private readonly evaluator: EventEvaluator | undefined;
  /** Executables of the sender's team's scanned images by digest, for drift detection; bounded, refreshed after a while (a rescan may change them). */
  private readonly inventories: ImageInventoryCache;
  /** Alerts one request may store (BULKHEAD_MAX_FINDINGS_PER_REQUEST). */
  private readonly maxFindings: number;

  constructor(
    @Inject(RUNTIME_DETECTION) private readonly detection: RuntimeDetection | null,
    @Inject(ALERT_RECORDER) private readonly recorder: AlertRecorder,
    @Inject(HOST_BODY_READER) private readonly bodies: HostBodyReader,
    @Inject(HOST_ARTIFACTS) artifacts: HostArtifacts,
    @Inject(RUNTIME_API_CONFIG) config: RuntimeApiConfig,
    @Inject(HOST_REQUEST_CONTEXT) context: HostRequestContext,
  ) {
    this.maxFindings = config.BULKHEAD_MAX_FINDINGS_PER_REQUEST;
    this.inventories = new ImageInventoryCache(artifacts, { team: () => context.requestTeam() });
    if (detection) {
      this.auditHandler = new AuditWebhookHandler({ engine: detection.engine, maxBodyBytes: bodies.limit, hostname: detection.hostname });
      this.evaluator = new EventEvaluator(detection.engine, detection.hostname);
    }
  }

  /** kube-apiserver's audit webhook: an EventList (audit.k8s.io/v1 or v1beta1), or one Event. */
  async k8sAudit(request: HostRequest): Promise<IngestResponse> {
    const handler = this.auditHandler;
    if (!handler) return notConfigured();
    const body = await this.readJson(request);
    if ('status' in body) return body;
    const result = handler.handle(body);
    const malformed = new Samples();
    for (const m of result.malformed) malformed.add(m.where, m.reason);
    if (result.status === 400) return { status: 400, body: { error: result.error ?? 'not a Kubernetes audit EventList', malformed: malformed.items } };
    if (result.alerts.length > this.maxFindings) return tooManyFindings(result.alerts.length, this.maxFindings);
    const stored = await this.recorder.record(result.alerts.map((alert) => ({ alert })));
    return { status: 200, body: { events: result.events, alerts: result.alerts.length, stored: stored.length, malformed: malformed.count, malformedSamples: malformed.items } };
  }

  /**
   * Events as JSON lines (syscall events with `evt.type`, or audit Events), read line by line.
   * Malformed lines are counted and skipped; alerts are stored in batches while reading.
   */
  async events(request: HostRequest): Promise<IngestResponse> {
    const evaluator = this.evaluator;
    if (!evaluator) return notConfigured();
    const limit = this.bodies.limit;
    const malformed = new Samples();
    let events = 0;
    let alerts = 0;
    let stored = 0;
    let batch: RaisedAlert[] = [];
    let refused = false;
    const flush = async (): Promise<void> => {
      const taken = batch;
      batch = [];
      stored += (await this.recorder.record(taken)).length;
    };
    for await (const line of this.bodies.lines(request)) {
      const where = `line ${line.number}`;
      if (!('text' in line)) {
        malformed.add(where, `longer than ${limit} bytes (BULKHEAD_MAX_EVENT_BODY_BYTES)`);
        continue;
      }
      if (jsonNestingDepth(line.text, MAX_JSON_NESTING) > MAX_JSON_NESTING) {
        malformed.add(where, `nested deeper than ${MAX_JSON_NESTING} levels`);
        continue;
      }
      for (const item of parseEventLine(line.text, where)) {
        if (item.kind === 'malformed') {
          malformed.add(item.where, item.reason);
          continue;
        }
        events++;
        for (const alert of evaluator.evaluate(item.event)) {
          alerts++;
          batch.push({ alert, event: item.event });
        }
        const drift = item.event.source === 'syscall' ? await this.driftAlert(item.event.event) : undefined;
        if (drift) {
          alerts++;
          batch.push({ alert: drift, event: item.event });
        }
      }
      if (alerts > this.maxFindings) {
        // Stop reading: what was stored stays, the rest of the stream is not read.
        refused = true;
        break;
      }
      if (batch.length >= ALERT_BATCH) await flush();
    }
    if (refused) {
      batch = batch.slice(0, Math.max(0, this.maxFindings - (alerts - batch.length)));
      await flush();
      const answer = tooManyFindings(`more than ${this.maxFindings}`, this.maxFindings);
      return { status: 413, body: { ...answer.body, events, stored, malformed: malformed.count, malformedSamples: malformed.items } };
    }
    await flush();
    return { status: 200, body: { events, alerts, stored, malformed: malformed.count, malformedSamples: malformed.items } };
  }

  /**
   * Container drift: a successful exec in a container of an image the scanner has inventoried,
   * of an executable that is not in that image. Only exec events look anything up.
   */
  private async driftAlert(event: SyscallEvent): Promise<FalcoAlert | undefined> {
    const type = event['evt.type'];
    if (type !== 'execve' && type !== 'execveat') return undefined;
    const verdict = detectDrift(event, await this.inventories.lookupFor(event['container.image.digest']), { hostname: this.detection?.hostname });
    return verdict.drift ? verdict.alert : undefined;
  }

  /**
   * Alerts of real Falco sensors (json_output, as falcosidekick receives them): one alert object
   * or an array. Invalid alerts in an array are counted and skipped; a single invalid one is 400.
   */
  async falcoAlerts(request: HostRequest): Promise<IngestResponse> {
    const body = await this.readJson(request);
    if ('status' in body) return body;
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch (error) {
      return { status: 400, body: { error: `body is not JSON: ${(error as Error).message}` } };
    }
    const single = !Array.isArray(value);
    if (single && (typeof value !== 'object' || value === null)) {
      return { status: 400, body: { error: 'body must be a Falco alert object or an array of them' } };
    }
    const items = single ? [value] : (value as unknown[]);
    if (items.length > this.maxFindings) return tooManyFindings(items.length, this.maxFindings);
    const rejected = new Samples();
    const valid: RaisedAlert[] = [];
    items.forEach((item, i) => {
      const parsed = parseFalcoAlert(item);
      if ('alert' in parsed) valid.push({ alert: parsed.alert });
      else rejected.add(single ? 'alert' : `alert ${i}`, parsed.problems.join('; '));
    });
    if (single && valid.length === 0) return { status: 400, body: { error: `not a Falco alert: ${rejected.items[0] ?? ''}` } };
    const stored = await this.recorder.record(valid);
    return { status: 200, body: { received: items.length, stored: stored.length, rejected: rejected.count, rejectedSamples: rejected.items } };
  }

  /** A Content-Length over the limit is refused before reading anything (and before any other check). */
  declaredTooLarge(request: HostRequest): IngestResponse | undefined {
    if (!this.bodies.declaredTooLarge(request)) return undefined;
    return tooLarge(`request body of ${String(request.headers['content-length'])} bytes exceeds the limit of ${this.bodies.limit} bytes`);
  }

  /** The whole body within the host's limit and MAX_JSON_NESTING (a JSON body), or the 413 / 400 answer. */
  private async readJson(request: HostRequest): Promise<Buffer | IngestResponse> {
    const body = await this.readAll(request);
    if (Buffer.isBuffer(body) && jsonNestingDepth(body, MAX_JSON_NESTING) > MAX_JSON_NESTING) return tooDeep('body', MAX_JSON_NESTING);
    return body;
  }

  /** The whole body within the host's limit, or the 413 answer. */
  private async readAll(request: HostRequest): Promise<Buffer | IngestResponse> {
    const body = await this.bodies.readAll(request);
    return Buffer.isBuffer(body) ? body : tooLarge(`request body exceeds the limit of ${body.limit} bytes`);
  }
}

/** One JSON line: an event, an EventList, or an array of them. */
function parseEventLine(text: string, where: string): InputItem[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return [{ kind: 'malformed', where, reason: `invalid JSON: ${(error as Error).message}` }];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => classifyJson(v, `${where} item ${i}`));
  return classifyJson(value, where);
}
