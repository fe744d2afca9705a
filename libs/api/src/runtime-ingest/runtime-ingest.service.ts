import { Inject, Injectable } from '@nestjs/common';
import { ImageInventoryCache, ImageStore } from '@bulkhead/persistence';
import {
  AuditWebhookHandler,
  classifyJson,
  detectDrift,
  EventEvaluator,
  parseFalcoAlert,
  PayloadTooLargeError,
  readLimitedBody,
  type InputItem,
  type FalcoAlert,
  type SyscallEvent,
} from '@bulkhead/plugin-runtime';
import type { ApiConfig } from '../config';
import { AlertRecorder, type RaisedAlert } from '../alerts/alert-recorder';
import { ALERT_RECORDER, API_CONFIG, IMAGE_STORE, RUNTIME_DETECTION } from '../tokens';
import { splitLines } from '../host/line-splitter';
import { RULES_NOT_CONFIGURED, type RuntimeDetection } from './runtime-detection';

/** An HTTP answer: the status and the JSON body. */
export interface IngestResponse {
  status: number;
  body: Record<string, unknown>;
}

type Body = AsyncIterable<Uint8Array | string>;

/** Alerts stored per batch while a stream is read: memory stays flat, INSERTs stay few. */
const ALERT_BATCH = 500;
/** Problems quoted back to the sender; the rest are only counted. */
const MAX_SAMPLES = 10;

class Samples {
  readonly items: string[] = [];
  count = 0;
  add(where: string, reason: string): void {
    this.count++;
    if (this.items.length < MAX_SAMPLES) this.items.push(`${where}: ${reason}`);
  }
}

/**
 * The runtime ingest endpoints without HTTP: each takes the request body as a stream and
 * answers a status and a JSON body. Bodies are read with their limit enforced while reading.
 */
@Injectable()
export class RuntimeIngestService {
  private readonly auditHandler: AuditWebhookHandler | undefined;
  private readonly evaluator: EventEvaluator | undefined;
  private readonly maxBodyBytes: number;
  /** Executables of scanned images by digest, for drift detection; digests name immutable content, so entries never go stale. */
  private readonly inventories: ImageInventoryCache;

  constructor(
    @Inject(API_CONFIG) config: ApiConfig,
    @Inject(RUNTIME_DETECTION) private readonly detection: RuntimeDetection | null,
    @Inject(ALERT_RECORDER) private readonly recorder: AlertRecorder,
    @Inject(IMAGE_STORE) images: ImageStore,
  ) {
    this.inventories = new ImageInventoryCache(images);
    this.maxBodyBytes = config.BULKHEAD_MAX_EVENT_BODY_BYTES;
    if (detection) {
      this.auditHandler = new AuditWebhookHandler({ engine: detection.engine, maxBodyBytes: this.maxBodyBytes, hostname: detection.hostname });
      this.evaluator = new EventEvaluator(detection.engine, detection.hostname);
    }
  }

  /** A Content-Length over the limit is refused before reading anything. */
  declaredTooLarge(contentLength: string | undefined): IngestResponse | undefined {
    const declared = contentLength === undefined ? NaN : Number(contentLength);
    if (!(declared > this.maxBodyBytes)) return undefined;
    return tooLarge(`request body of ${declared} bytes exceeds the limit of ${this.maxBodyBytes} bytes (BULKHEAD_MAX_EVENT_BODY_BYTES)`);
  }

  /** kube-apiserver's audit webhook: an EventList (audit.k8s.io/v1 or v1beta1), or one Event. */
  async k8sAudit(body: Body): Promise<IngestResponse> {
    if (!this.auditHandler) return notConfigured();
    const result = await this.auditHandler.handleStream(body);
    if (result.status === 413) return tooLarge(`${result.error ?? 'request body too large'} (BULKHEAD_MAX_EVENT_BODY_BYTES)`);
    const malformed = new Samples();
    for (const m of result.malformed) malformed.add(m.where, m.reason);
    if (result.status === 400) return { status: 400, body: { error: result.error ?? 'not a Kubernetes audit EventList', malformed: malformed.items } };
    const stored = await this.recorder.record(result.alerts.map((alert) => ({ alert })));
    return { status: 200, body: { events: result.events, alerts: result.alerts.length, stored: stored.length, malformed: malformed.count, malformedSamples: malformed.items } };
  }

  /**
   * Events as JSON lines (syscall events with `evt.type`, or audit Events), read line by line.
   * Malformed lines are counted and skipped; alerts are stored in batches while reading.
   */
  async events(body: Body): Promise<IngestResponse> {
    const evaluator = this.evaluator;
    if (!evaluator) return notConfigured();
    const malformed = new Samples();
    let events = 0;
    let alerts = 0;
    let stored = 0;
    let batch: RaisedAlert[] = [];
    const flush = async (): Promise<void> => {
      const taken = batch;
      batch = [];
      stored += (await this.recorder.record(taken)).length;
    };
    for await (const line of splitLines(body, this.maxBodyBytes)) {
      const where = `line ${line.number}`;
      if (!('text' in line)) {
        malformed.add(where, `longer than ${this.maxBodyBytes} bytes (BULKHEAD_MAX_EVENT_BODY_BYTES)`);
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
      if (batch.length >= ALERT_BATCH) await flush();
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
  async falcoAlerts(body: Body): Promise<IngestResponse> {
    let bytes: Buffer;
    try {
      bytes = await readLimitedBody(body, this.maxBodyBytes);
    } catch (error) {
      if (error instanceof PayloadTooLargeError) return tooLarge(`${error.message} (BULKHEAD_MAX_EVENT_BODY_BYTES)`);
      throw error;
    }
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      return { status: 400, body: { error: `body is not JSON: ${(error as Error).message}` } };
    }
    const single = !Array.isArray(value);
    if (single && (typeof value !== 'object' || value === null)) {
      return { status: 400, body: { error: 'body must be a Falco alert object or an array of them' } };
    }
    const items = single ? [value] : (value as unknown[]);
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

function notConfigured(): IngestResponse {
  return { status: 503, body: { error: RULES_NOT_CONFIGURED } };
}

function tooLarge(message: string): IngestResponse {
  return { status: 413, body: { error: message } };
}
