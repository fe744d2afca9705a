import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { FindingResult } from '@bulkhead/plugin-sdk';
import type { CompiledRule } from '../engine/loader';
import type { OutputFieldValue } from '../engine/output-format';
import { parsePriority, PRIORITIES, severityOfPriority, type Priority } from '../engine/priority';
import { formatRfc3339Nano, type K8sAuditEvent } from '../fields/k8saudit';
import { parseRfc3339Ns } from '../events/k8s-audit';
import { syscallEventTimeNs, type SyscallEvent } from '../events/syscall-event';

/** Falco's JSON alert (json_output: true), the shape falcosidekick receives. Keys in Falco's order. */
export interface FalcoAlert {
  hostname?: string;
  output: string;
  output_fields: Record<string, OutputFieldValue>;
  priority: Priority;
  rule: string;
  source: string;
  tags: string[];
  /** RFC 3339 with nanoseconds, UTC. */
  time: string;
}

/** An event ready for the engine, tagged with its source. */
export type EngineEvent = { source: 'syscall'; event: SyscallEvent } | { source: 'k8s_audit'; event: K8sAuditEvent };

export function eventTimeNs(e: EngineEvent): bigint {
  return e.source === 'k8s_audit' ? e.event.timeNs : syscallEventTimeNs(e.event);
}

/** Falco's output prefix: `HH:MM:SS.nnnnnnnnn: Priority ` (UTC here, so that output is reproducible). */
function outputPrefix(ns: bigint, priority: Priority): string {
  const iso = formatRfc3339Nano(ns);
  return `${iso.slice(11, 29)}: ${priority}`;
}

export function buildAlert(rule: CompiledRule, e: EngineEvent, hostname?: string): FalcoAlert {
  const ns = eventTimeNs(e);
  const alert: FalcoAlert = {
    output: `${outputPrefix(ns, rule.priority)} ${rule.output.format(e.event)}`,
    output_fields: rule.output.fields(e.event),
    priority: rule.priority,
    rule: rule.name,
    source: rule.source,
    tags: [...rule.tags],
    time: formatRfc3339Nano(ns),
  };
  return hostname === undefined ? alert : { hostname, ...alert };
}

const outputFieldValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** Validation of an alert produced by a real Falco sensor (json_output), as falcosidekick receives it. */
export const falcoAlertSchema = z.object({
  hostname: z.string().optional(),
  output: z.string(),
  output_fields: z.record(z.string(), outputFieldValue.or(z.array(z.unknown()).transform((v) => JSON.stringify(v)))).default({}),
  priority: z.string().transform((p, ctx) => {
    const parsed = parsePriority(p);
    if (!parsed) ctx.addIssue({ code: 'custom', message: `unknown priority ${JSON.stringify(p)} (expected one of ${PRIORITIES.join(', ')})` });
    return parsed ?? 'Debug';
  }),
  rule: z.string().min(1),
  source: z.string().default('syscall'),
  tags: z.array(z.string()).default([]),
  time: z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'time is not an RFC 3339 timestamp'),
});

/** Parses one Falco alert; returns the alert or the list of problems (field: message). */
export function parseFalcoAlert(value: unknown): { alert: FalcoAlert } | { problems: string[] } {
  const r = falcoAlertSchema.safeParse(value);
  if (r.success) return { alert: r.data as FalcoAlert };
  return { problems: r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(alert)'}: ${i.message}`) };
}

function str(v: OutputFieldValue | undefined): string | undefined {
  return v === null || v === undefined || v === '' ? undefined : String(v);
}

/**
 * What a runtime finding is about: the container (`container:<id>`), else the pod
 * (`pod:<ns>/<name>`), else the Kubernetes user (`k8s-user:<name>`), else the host. Reads the
 * event when it is at hand (an alert's output may not print these fields), else output_fields.
 */
export function alertTarget(alert: FalcoAlert, e?: EngineEvent): string {
  const f: Record<string, OutputFieldValue | undefined> = { ...alert.output_fields };
  if (e?.source === 'syscall') {
    for (const key of ['container.id', 'k8s.ns.name', 'k8s.pod.name']) {
      const v = e.event[key];
      if (typeof v === 'string') f[key] = v;
    }
  } else if (e?.source === 'k8s_audit') {
    const user = (e.event.raw['user'] as { username?: unknown } | undefined)?.username;
    if (typeof user === 'string') f['ka.user.name'] = user;
  }
  const container = str(f['container.id']);
  if (container && container !== 'host') return `container:${container}`;
  const ns = str(f['k8s.ns.name']);
  const pod = str(f['k8s.pod.name']);
  if (ns && pod) return `pod:${ns}/${pod}`;
  const user = str(f['ka.user.name']);
  if (user) return `k8s-user:${user}`;
  return `host:${alert.hostname ?? 'unknown'}`;
}

/** Maps an alert to the SDK finding: severity from priority, rule name as id, whole alert as data. */
/**
 * Falco's own time format (UTC, nanoseconds). Stored alert times must share one spelling: the
 * alerts query orders and filters on them as text. Alerts from other sensors may use an offset
 * or fewer digits; the instant is kept, the spelling normalised. An unparsable time is kept.
 */
export function normaliseAlertTime(alert: FalcoAlert): FalcoAlert {
  const millis = Date.parse(alert.time);
  const ns = parseRfc3339Ns(alert.time) ?? (Number.isNaN(millis) ? undefined : BigInt(millis) * 1_000_000n);
  if (ns === undefined) return alert;
  const time = formatRfc3339Nano(ns);
  return time === alert.time ? alert : { ...alert, time };
}

/**
 * A runtime finding for an alert, whoever raised it (this engine, a Falco sensor, the API or a
 * worker task): time normalised, deterministic fingerprint, so the same alert is one row.
 */
export function alertToFinding(raw: FalcoAlert, e?: EngineEvent): FindingResult {
  const alert = normaliseAlertTime(raw);
  const target = alertTarget(alert, e);
  const identity = JSON.stringify([alert.rule, alert.source, alert.time, alert.hostname ?? '', sortedEntries(alert.output_fields)]);
  return {
    kind: 'runtime',
    severity: severityOfPriority(alert.priority),
    ruleId: alert.rule,
    title: alert.rule,
    target,
    location: alert.source,
    data: { ...alert },
    fingerprint: createHash('sha256').update(identity).digest('hex'),
  };
}

function sortedEntries(o: Record<string, unknown>): [string, unknown][] {
  return Object.keys(o)
    .sort()
    .map((k) => [k, o[k]]);
}
