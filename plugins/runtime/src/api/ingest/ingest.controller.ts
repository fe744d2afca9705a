import { Controller, Post, Req, Res } from '@nestjs/common';
import { IngestRoute, RequireRole } from '@bulkhead/plugin-sdk/api';
import type { IncomingMessage } from 'node:http';
import type { IngestResponse } from './ingest-response';
import { RuntimeIngestService } from './ingest.service';

/** The Express response methods used here (the workspace has no @types/express). */
interface JsonResponse {
  status(code: number): unknown;
  setHeader(name: string, value: string): unknown;
}

/**
 * Plain HTTP, because the senders fix the wire format: kube-apiserver's audit webhook, event
 * streams as JSON lines, and Falco's http_output / falcosidekick. The host leaves plugin
 * routes' bodies unread: they are read here as streams, with the host's size limit.
 *
 * Senders authenticate with an operator (or admin) token as `Authorization: Bearer bhk_...`;
 * kube-apiserver sends its audit webhook kubeconfig's `token:` exactly so.
 */
@Controller()
@IngestRoute()
@RequireRole('operator')
export class RuntimeIngestController {
  constructor(private readonly ingest: RuntimeIngestService) {}

  @Post('k8s-audit')
  k8sAudit(@Req() request: IncomingMessage, @Res({ passthrough: true }) response: JsonResponse): Promise<Record<string, unknown>> {
    return this.answer(request, response, () => this.ingest.k8sAudit(request));
  }

  @Post('events')
  events(@Req() request: IncomingMessage, @Res({ passthrough: true }) response: JsonResponse): Promise<Record<string, unknown>> {
    // A stream of any length: the limit applies per line, not to the body.
    return this.answer(request, response, () => this.ingest.events(request), { streamed: true });
  }

  @Post('falco-alerts')
  falcoAlerts(@Req() request: IncomingMessage, @Res({ passthrough: true }) response: JsonResponse): Promise<Record<string, unknown>> {
    return this.answer(request, response, () => this.ingest.falcoAlerts(request));
  }

  private async answer(request: IncomingMessage, response: JsonResponse, handle: () => Promise<IngestResponse>, options: { streamed?: boolean } = {}): Promise<Record<string, unknown>> {
    const result = (!options.streamed && this.ingest.declaredTooLarge(request)) || (await handle());
    if (result.status === 413) {
      // The unread rest of the body is discarded by Node as it arrives (never buffered); closing
      // the connection afterwards stops a sender that keeps going.
      response.setHeader('connection', 'close');
      request.resume();
    }
    response.status(result.status);
    return result.body;
  }
}
