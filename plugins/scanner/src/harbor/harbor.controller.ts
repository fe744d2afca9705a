import { Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { bulkheadErrorCode, type TaskLogger } from '@bulkhead/plugin-sdk';
import { HOST_LOGGER, RequireRole } from '@bulkhead/plugin-sdk/api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERROR, SCAN_REQUEST_TYPES, isContentType } from './media-types';
import { HarborAdapterService, MAX_SCAN_REQUEST_BYTES, readBoundedBody, type HarborResponse } from './harbor.service';

/** Where the adapter is served: register `<API URL>/harbor` in Harbor (it appends `/api/v1/...`). */
export const HARBOR_ADAPTER_PATH = 'harbor/api/v1';

/**
 * Harbor's pluggable scanner API v1.2, in plain HTTP because Harbor dictates the wire format
 * (paths, MIME types, 302 + Refresh-After). Authenticated by the host like every route: Harbor
 * sends the `Authorization: Bearer bhk_...` configured for the scanner, and the token's team is
 * the team the scans and findings belong to. Answers are written here byte for byte, so the
 * Content-Type is exactly Harbor's MIME type (no charset appended).
 */
@Controller(HARBOR_ADAPTER_PATH)
export class HarborAdapterController {
  constructor(
    private readonly adapter: HarborAdapterService,
    @Inject(HOST_LOGGER) private readonly logger: TaskLogger,
  ) {}

  @Get('metadata')
  @RequireRole('viewer')
  async metadata(@Res() response: ServerResponse): Promise<void> {
    send(response, await this.guarded(() => this.adapter.metadata()));
  }

  /** Queues a scan: operator, as every route that queues a task. */
  @Post('scan')
  @RequireRole('operator')
  async scan(@Req() request: IncomingMessage, @Res() response: ServerResponse): Promise<void> {
    const contentType = request.headers['content-type'];
    if (!isContentType(contentType, [...SCAN_REQUEST_TYPES, 'application/json'])) {
      discardBody(request, response);
      send(response, { status: 400, contentType: ERROR, body: { error: { message: `Content-Type must be ${SCAN_REQUEST_TYPES[0]} (or version=1.0, or application/json), not ${JSON.stringify(String(contentType ?? '').slice(0, 200))}` } } });
      return;
    }
    const body = await readBoundedBody(request, MAX_SCAN_REQUEST_BYTES);
    if (!Buffer.isBuffer(body)) {
      discardBody(request, response);
      send(response, { status: 400, contentType: ERROR, body: { error: { message: `the scan request is larger than ${MAX_SCAN_REQUEST_BYTES} bytes` } } });
      return;
    }
    send(response, await this.guarded(() => this.adapter.submit(body)));
  }

  @Get('scan/:id/report')
  @RequireRole('viewer')
  async report(@Param('id') id: string, @Query('sbom_media_type') sbomMediaType: unknown, @Req() request: IncomingMessage, @Res() response: ServerResponse): Promise<void> {
    send(response, await this.guarded(() => this.adapter.report(id, request.headers.accept, sbomMediaType)));
  }

  /**
   * Any failure is Harbor's 500 ErrorResponse. Errors meant for clients (the SDK's bad-input
   * errors, the host's coded errors such as the task quota) say why; anything else (a database
   * error, a bug) is logged here and answered without its message, which may hold SQL or paths.
   */
  private async guarded(work: () => Promise<HarborResponse>): Promise<HarborResponse> {
    try {
      return await work();
    } catch (error) {
      const coded = bulkheadErrorCode(error) !== undefined || typeof (error as { extensions?: { code?: unknown } } | undefined)?.extensions?.code === 'string';
      if (!coded) this.logger.error({ err: error }, 'Harbor adapter request failed');
      const message = coded && error instanceof Error ? error.message : 'internal error (logged by the Bulkhead API)';
      return { status: 500, contentType: ERROR, body: { error: { message } } };
    }
  }
}

function send(response: ServerResponse, answer: HarborResponse): void {
  response.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers ?? {})) response.setHeader(name, value);
  if (answer.body === undefined) {
    response.end();
    return;
  }
  const bytes = Buffer.from(JSON.stringify(answer.body), 'utf8');
  response.setHeader('Content-Type', answer.contentType ?? 'application/json');
  response.setHeader('Content-Length', String(bytes.length));
  response.end(bytes);
}

/** Refuses the rest of a body without buffering it: Node discards what arrives, then the connection closes. */
function discardBody(request: IncomingMessage, response: ServerResponse): void {
  response.setHeader('Connection', 'close');
  request.resume();
}
