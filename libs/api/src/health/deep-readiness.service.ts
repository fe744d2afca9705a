import { Injectable } from '@nestjs/common';
import type { Principal } from '@bulkhead/plugin-sdk/api';
import { requestContext } from '../host/request-context';
import type { ProbeResult } from '../probe/probe.model';
import { ProbeService } from '../probe/probe.service';

/**
 * The team of /readyz?deep=1's canary tasks. It does not match the token team pattern
 * (`^[a-z0-9]…`), so no token's team can ever see or write these rows.
 */
export const READYZ_PROBE_TEAM = '_platform';
/** How long one deep probe's answer serves later /readyz?deep=1 requests. */
export const DEEP_PROBE_REUSE_MS = 10_000;
/** A deep probe gives up (and cancels its task) after this; set the probe's timeoutSeconds above it. */
export const DEEP_PROBE_TIMEOUT_MS = 5_000;

const READYZ_PRINCIPAL: Principal = { tokenId: 'readyz-deep-probe', name: '/readyz?deep=1', team: READYZ_PROBE_TEAM, role: 'operator' };

/**
 * /readyz?deep=1 runs the canary task (ProbeService) in the reserved team. The route is open to
 * anyone (probes carry no token), so it must not be a way to flood the queue: at most one probe
 * runs at a time per replica, and its answer is reused for DEEP_PROBE_REUSE_MS, so however many
 * requests arrive, a replica queues at most one canary task per period.
 */
@Injectable()
export class DeepReadinessService {
  private last: { at: number; result: Promise<ProbeResult | Error> } | undefined;

  constructor(private readonly probes: ProbeService) {}

  probe(now = Date.now()): Promise<ProbeResult | Error> {
    if (this.last && now - this.last.at < DEEP_PROBE_REUSE_MS) return this.last.result;
    const result = requestContext
      .run(READYZ_PRINCIPAL, () => this.probes.probe('readyz', DEEP_PROBE_TIMEOUT_MS))
      .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
    this.last = { at: now, result };
    // Reused from when it ends, so that a slow probe does not make the next one wait a period more.
    void result.then(() => {
      if (this.last?.result === result) this.last = { at: Date.now(), result };
    });
    return result;
  }
}
