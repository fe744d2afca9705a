import { Controller, Post, Req, Res } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { RuntimeIngestService, type IngestResponse } from './runtime-ingest.service';

/** The Express response methods used here (the workspace has no @types/express). */
interface JsonResponse {
  status(code: number): unknown;
  setHeader(name: string, value: string): unknown;
}

/**
 * Plain HTTP, because the senders fix the wire format: kube-apiserver's audit webhook, event
 * streams as JSON lines, and Falco's http_output / falcosidekick. Bodies are streams: the
 * API parses bodies of /graphql only (see host/body-parsers.ts).
 */
@Controller()
export class RuntimeIngestController {
  constructor(private readonly ingest: RuntimeIngestService) {}

  @Post('k8s-audit')
  k8sAudit(@Req() request: IncomingMessage, @Res({ passthrough: true }) response: JsonResponse): Promise<Record<string, unknown>> {
    return this.answer(request, response, (body) => this.ingest.k8sAudit(body));
  }

  @Post('events')
  events(@Req() request: IncomingMessage, @Res({ passthrough: true }) response: JsonResponse): Promise<Record<string, unknown>> {
    // A stream of any length: the limit applies per line, not to the body.
    return this.answer(request, response, (body) => this.ingest.events(body), { streamed: true });
  }

  @Post('falco-alerts')
  falcoAlerts(@Req() request: IncomingMessage, @Res({ passthrough: true }) response: JsonResponse): Promise<Record<string, unknown>> {
    return this.answer(request, response, (body) => this.ingest.falcoAlerts(body));
  }

  private async answer(
    request: IncomingMessage,
    response: JsonResponse,
    handle: (body: IncomingMessage) => Promise<IngestResponse>,
    options: { streamed?: boolean } = {},
  ): Promise<Record<string, unknown>> {
    const result = (!options.streamed && this.ingest.declaredTooLarge(request.headers['content-length'])) || (await handle(request));
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
