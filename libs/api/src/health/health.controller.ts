import { Controller, Get, HttpStatus, Query, Res } from '@nestjs/common';
import { PublicRoute } from '../auth/access.guard';
import { DeepReadinessService } from './deep-readiness.service';
import { ReadinessService } from './readiness.service';

interface ReadyzBody {
  status: string;
  checks: Record<string, string>;
  failed?: string[];
  probe?: { status: string; totalMs: number; hops: { name: string; ms: number }[] };
}

/** The one method of the Express response used here (the workspace has no @types/express). */
interface StatusSettable {
  status(code: number): unknown;
}

/** Kubernetes probes: liveness says the process is up, readiness that its backing services answer. */
@Controller()
// Open to anyone: probes carry no data (the status of Postgres and Redis only).
@PublicRoute()
export class HealthController {
  constructor(
    private readonly readiness: ReadinessService,
    private readonly deep: DeepReadinessService,
  ) {}

  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Postgres and Redis answer; with `?deep=1` also a canary task goes the whole path of a task
   * (DeepReadinessService: at most one per replica per 10 s, whoever asks): check `task`, and
   * `probe` with each hop's latency.
   */
  @Get('readyz')
  async readyz(@Res({ passthrough: true }) response: StatusSettable, @Query('deep') deep?: string): Promise<ReadyzBody> {
    const report = await this.readiness.check();
    const checks: Record<string, string> = { ...report.checks };
    const failed = [...report.failed];
    let probe: ReadyzBody['probe'];
    if (deep === '1' || deep === 'true') {
      const result = await this.deep.probe();
      if (result instanceof Error) checks['task'] = result.message;
      else {
        checks['task'] = result.succeeded ? 'ok' : (result.error ?? result.status);
        probe = { status: result.status, totalMs: result.totalMs, hops: result.hops };
      }
      if (checks['task'] !== 'ok') failed.push('task');
    }
    if (failed.length === 0) return { status: 'ok', checks, ...(probe ? { probe } : {}) };
    response.status(HttpStatus.SERVICE_UNAVAILABLE);
    return { status: `unavailable: ${failed.join(', ')} failed`, checks, failed, ...(probe ? { probe } : {}) };
  }
}
