import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { AuditOutcome } from '@bulkhead/persistence';
import { RequireRole, type Principal } from '@bulkhead/plugin-sdk/api';
import type { ServerResponse } from 'node:http';
import type { AuthenticatedRequest } from '../auth/auth.middleware';
import type { AuditWriter } from '../auth/audit-writer';
import { AUDIT_WRITER, UPLOAD_SERVICE } from '../tokens';
import type { UploadService } from './upload.service';

/**
 * What an upload may be sent as. None is a CORS-safelisted type (text/plain, form encodings), so
 * a web page on another site cannot make a browser send an upload without a preflight.
 */
export const UPLOAD_CONTENT_TYPES = ['application/octet-stream', 'application/gzip', 'application/x-tar', 'application/json', 'application/yaml'] as const;

const MAX_NAME_LENGTH = 255;

/** POST /uploads: a file for tasks to read, streamed to the team's upload folder. */
@Controller()
export class UploadController {
  constructor(
    @Inject(UPLOAD_SERVICE) private readonly uploads: UploadService,
    @Inject(AUDIT_WRITER) private readonly audit: AuditWriter,
  ) {}

  @Post('uploads')
  @RequireRole('operator')
  async upload(@Req() request: AuthenticatedRequest, @Res() response: ServerResponse): Promise<void> {
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!(UPLOAD_CONTENT_TYPES as readonly string[]).includes(type)) {
      return refuse(request, response, 415, 'UNSUPPORTED_MEDIA_TYPE', `content type ${type ? JSON.stringify(type) : '(none)'} is not accepted for uploads; send one of ${UPLOAD_CONTENT_TYPES.join(', ')}`);
    }
    const name = new URL(request.url ?? '/', 'http://host').searchParams.get('name');
    if (name !== null && (name.length > MAX_NAME_LENGTH || hasControlCharacter(name))) {
      return refuse(request, response, 400, 'BAD_REQUEST', `name: at most ${MAX_NAME_LENGTH} characters, no control characters`);
    }
    // The guard let only an authenticated operator or admin through.
    const principal = request.principal;
    if (!principal) return refuse(request, response, 401, 'UNAUTHENTICATED', 'authentication required');
    let result: Awaited<ReturnType<UploadService['receive']>>;
    try {
      result = await this.uploads.receive(request, { team: principal.team, tokenId: principal.tokenId, name });
    } catch (error) {
      this.record(request, principal, 'error', { name }, (error as Error).message);
      throw error;
    }
    if ('status' in result) {
      this.record(request, principal, 'error', { name }, `${result.code}: ${result.message}`);
      return refuse(request, response, result.status, result.code, result.message);
    }
    const answer = { id: result.id, size: result.size, sha256: result.sha256.trim(), target: `upload:${result.id}` };
    this.record(request, principal, 'ok', { ...answer, name });
    send(response, 201, answer);
  }

  /** Uploads are writes: audited like mutations, without delaying the answer. */
  private record(request: AuthenticatedRequest, principal: Principal, outcome: AuditOutcome, details: Record<string, unknown>, error?: string): void {
    const entry = {
      tokenId: principal.tokenId,
      tokenName: principal.name,
      team: principal.team,
      operation: 'POST /uploads',
      details,
      outcome,
      error: error?.slice(0, 1000) ?? null,
      remoteAddress: request.socket.remoteAddress ?? null,
      userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
    };
    this.audit.append(entry);
  }
}

function hasControlCharacter(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.statusCode = status;
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.end(JSON.stringify(body));
}

/**
 * Answers a refusal whose body may still be arriving: the answer goes out at once with
 * `Connection: close`, the rest of the body is discarded (never stored) for a moment so the client
 * can read the answer, then the connection is cut.
 */
function refuse(request: AuthenticatedRequest, response: ServerResponse, status: number, code: string, message: string): void {
  response.setHeader('connection', 'close');
  send(response, status, { error: message, code });
  if (request.complete) return;
  const cut = setTimeout(() => request.socket.destroy(), 2_000);
  cut.unref();
  request.once('end', () => clearTimeout(cut));
  request.resume();
}
