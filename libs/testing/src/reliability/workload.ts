/**
 * The suite's work: task n ingests one Falco alert (runtime `ingest-falco-alerts`), which stores
 * exactly one runtime finding whose data carries `reliability.n`. Light on purpose (the suite
 * measures the task path, not a plugin), yet every run writes a row, so a task that ran twice or
 * a write that was not idempotent shows up as a duplicate. One in SCAN_EVERY scans an image.
 */
export const PROBE_RULE = 'Reliability probe';
export const PROBE_FIELD = 'reliability.n';

export function probeAlert(runId: string, n: number): Record<string, unknown> {
  return {
    output: `Reliability probe ${runId} task ${n}`,
    output_fields: { 'container.id': `rel${(n % 64).toString(16).padStart(10, '0')}`, 'reliability.run': runId, [PROBE_FIELD]: n },
    priority: 'Warning',
    rule: PROBE_RULE,
    source: 'syscall',
    tags: ['reliability'],
    // One alert per task: the alert's time is part of its fingerprint, so n makes it distinct.
    time: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
  };
}

const SUBMIT = `mutation Submit($kind: PluginKind!, $type: String!, $input: JSON!, $labels: JSON) {
  submitTask(kind: $kind, type: $type, input: $input, labels: $labels) { id status } }`;

/**
 * Every `SCAN_EVERY`-th task is instead a scan of the tiny test image (its inventory: one artifact
 * row and its package rows), labelled with n so that each is its own task: many scans of one
 * image, on several workers at once, must converge on one artifact and one row per package.
 */
export const SCAN_EVERY = 20;
export const SCAN_LABEL = 'reliability-n';

export function isScanTask(n: number): boolean {
  return n % SCAN_EVERY === SCAN_EVERY - 1;
}

function request(runId: string, n: number, tinyOciLayout: string): Record<string, unknown> {
  if (isScanTask(n)) return { kind: 'SCANNER', type: 'scan-image', input: { source: `oci:${tinyOciLayout}`, scanners: ['secret'] }, labels: { [SCAN_LABEL]: String(n) } };
  return { kind: 'RUNTIME', type: 'ingest-falco-alerts', input: { alerts: [probeAlert(runId, n)] } };
}

export interface SubmitFigures {
  /** Submissions the API accepted: task n → task id. */
  accepted: Map<number, string>;
  /** Attempts that failed (transport error, 5xx, a GraphQL error) and were sent again, by cause. */
  retries: Record<string, number>;
  /** Milliseconds from the first attempt to the accepted answer, per task. */
  latencies: number[];
}

class PermanentSubmitError extends Error {}

/** What a refused attempt was, in a few words (the retry figures group by it). */
function causeOf(status: number, body: { errors?: { message?: string; extensions?: { code?: string } }[] } | undefined): string {
  const first = body?.errors?.[0];
  const code = first?.extensions?.code;
  if (code === 'BAD_USER_INPUT' || code === 'FORBIDDEN' || code === 'UNAUTHENTICATED' || status === 400 || status === 401 || status === 403) {
    throw new PermanentSubmitError(`submitTask refused (HTTP ${status}): ${JSON.stringify(body?.errors ?? body)}`);
  }
  return `${status} ${code ?? ''} ${(first?.message ?? '').slice(0, 60)}`.trim();
}

/**
 * A client as a sensor or CI job would be: submits task 0..count-1 through GraphQL with
 * `concurrency` requests in flight, and sends a refused or unanswered request again (with
 * backoff) until it is accepted or `deadline` passes. Only accepted tasks are the suite's to check.
 */
export async function submitAll(options: {
  url: string;
  token: string;
  runId: string;
  count: number;
  concurrency: number;
  deadline: number;
  /** The tiny test image's OCI layout (scan tasks), inside the server's BULKHEAD_ALLOWED_PATHS. */
  tinyOciLayout: string;
  onAccepted?: (n: number) => void;
  /** Task n is sent no earlier than `n × paceMs` after the start (0: as fast as accepted). */
  paceMs?: number;
}): Promise<SubmitFigures> {
  const figures: SubmitFigures = { accepted: new Map(), retries: {}, latencies: [] };
  let next = 0;
  const submitOne = async (n: number): Promise<void> => {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      if (Date.now() > options.deadline) throw new Error(`task ${n} was not accepted before the deadline (${attempt} attempts)`);
      let cause: string;
      try {
        const response = await fetch(`${options.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
          body: JSON.stringify({ query: SUBMIT, variables: request(options.runId, n, options.tinyOciLayout) }),
          signal: AbortSignal.timeout(15_000),
        });
        const text = await response.text();
        let body: { data?: { submitTask?: { id: string } }; errors?: { message?: string; extensions?: { code?: string } }[] } | undefined;
        try {
          body = JSON.parse(text) as typeof body;
        } catch {
          body = undefined;
        }
        const id = body?.data?.submitTask?.id;
        if (response.ok && id && !body?.errors) {
          figures.accepted.set(n, id);
          figures.latencies.push(Date.now() - started);
          options.onAccepted?.(n);
          return;
        }
        cause = causeOf(response.status, body);
      } catch (error) {
        if (error instanceof PermanentSubmitError) throw error;
        cause = `transport: ${(error as Error).name}`;
      }
      figures.retries[cause] = (figures.retries[cause] ?? 0) + 1;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** Math.min(attempt, 5))));
    }
  };
  const start = Date.now();
  const lanes = Array.from({ length: Math.max(1, options.concurrency) }, async () => {
    while (next < options.count) {
      const n = next++;
      const due = start + n * (options.paceMs ?? 0);
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      await submitOne(n);
    }
  });
  await Promise.all(lanes);
  return figures;
}
