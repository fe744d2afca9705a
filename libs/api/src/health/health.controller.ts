import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { PublicRoute } from '../auth/access.guard';
import { ReadinessService } from './readiness.service';

/** The one method of the Express response used here (the workspace has no @types/express). */
interface StatusSettable {
  status(code: number): unknown;
}

/** Kubernetes probes: liveness says the process is up, readiness that its backing services answer. */
@Controller()
// Open to anyone: probes carry no data (the status of Postgres and Redis only).
@PublicRoute()
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res({ passthrough: true }) response: StatusSettable): Promise<{ status: string; checks: Record<string, string>; failed?: string[] }> {
    const report = await this.readiness.check();
    if (report.ready) return { status: 'ok', checks: report.checks };
    response.status(HttpStatus.SERVICE_UNAVAILABLE);
    return { status: `unavailable: ${report.failed.join(', ')} failed`, checks: report.checks, failed: report.failed };
  }
}
