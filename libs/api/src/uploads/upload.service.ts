import { createHash, randomUUID } from 'node:crypto';
import { open, readdir, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import type { Logger } from '@bulkhead/common';
import type { UploadEntity, UploadStore } from '@bulkhead/persistence';
import type { UploadResolver } from '@bulkhead/queue';
import { ensurePrivateFolder } from './upload-folder';

export interface UploadSettings {
  /** The folder of uploads (the server input policy's, so the worker accepts what is stored here). */
  folderOf(team: string): string;
  /** Largest single upload (BULKHEAD_MAX_UPLOAD_BYTES). */
  maxBytes: number;
  /** Bytes one team's unexpired uploads may take together (BULKHEAD_UPLOAD_TEAM_QUOTA_BYTES); 0 = no quota. */
  teamQuotaBytes: number;
  /** Lifetime of an upload (BULKHEAD_UPLOAD_TTL_HOURS). */
  ttlMs: number;
}

/** Why an upload was refused; `status` is the HTTP status to answer. */
export interface UploadRefusal {
  status: 413;
  code: 'PAYLOAD_TOO_LARGE' | 'UPLOAD_QUOTA_EXCEEDED';
  message: string;
}

/** The uploader: who sent it (a principal's team and token) and the display name it gave. */
export interface UploadOwner {
  team: string;
  tokenId: string;
  name: string | null;
}

class TooLarge extends Error {}

/**
 * Receives uploads: the body is streamed to a new file (0600, named by a server-generated UUID)
 * in the team's folder while its SHA-256 is computed, and never held in memory; past the size
 * limit or the team's quota reading stops and the partial file is removed. A row is recorded
 * only for a complete file, so a task can never be given half an upload.
 */
export class UploadService {
  constructor(
    private readonly store: UploadStore,
    private readonly settings: UploadSettings,
    private readonly logger: Logger,
  ) {}

  async receive(request: IncomingMessage, owner: UploadOwner): Promise<UploadEntity | UploadRefusal> {
    const { maxBytes, teamQuotaBytes } = this.settings;
    const remaining = teamQuotaBytes > 0 ? teamQuotaBytes - (await this.store.usedBytes()) : Infinity;
    const limit = Math.min(maxBytes, remaining);
    const refusal = (): UploadRefusal =>
      limit === maxBytes
        ? { status: 413, code: 'PAYLOAD_TOO_LARGE', message: `upload larger than ${maxBytes} bytes (BULKHEAD_MAX_UPLOAD_BYTES)` }
        : quotaRefusal(teamQuotaBytes, Math.max(0, remaining));
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return refusal();

    const folder = this.settings.folderOf(owner.team);
    await ensurePrivateFolder(folder);
    const id = randomUUID();
    const file = path.join(folder, id);
    const hash = createHash('sha256');
    let size = 0;
    const handle = await open(file, 'wx', 0o600);
    try {
      // destroyOnReturn false: on a refusal the request stays open so the 413 can still be sent.
      for await (const chunk of request.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > limit) throw new TooLarge();
        hash.update(chunk);
        await handle.write(chunk);
      }
      if (!request.complete) throw new Error('the client closed the connection before the upload was complete');
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(file, { force: true });
      if (error instanceof TooLarge) return refusal();
      throw error;
    }
    await handle.close();
    try {
      const recorded = await this.store.record({ id, createdBy: owner.tokenId, name: owner.name, size, sha256: hash.digest('hex'), expiresAt: new Date(Date.now() + this.settings.ttlMs) }, teamQuotaBytes);
      if ('overQuota' in recorded) {
        // Another upload of the team finished first and took the room this one counted on.
        await rm(file, { force: true });
        return quotaRefusal(teamQuotaBytes, Math.max(0, teamQuotaBytes - recorded.used));
      }
      this.logger.info({ uploadId: id, team: owner.team, tokenId: owner.tokenId, size }, 'upload stored');
      return recorded;
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
  }

  list(): Promise<UploadEntity[]> {
    return this.store.list();
  }

  /** Removes the team's upload (row, then file); false when the team has none with that id. */
  async delete(id: string, team: string): Promise<boolean> {
    const row = await this.store.delete(id);
    if (!row) return false;
    await rm(path.join(this.settings.folderOf(team), row.id), { force: true });
    return true;
  }

  /** `upload:<id>` resolution for task inputs: the request team's unexpired upload, as its file path. */
  resolver(team: () => string): UploadResolver {
    return {
      team,
      path: async (id) => {
        const row = await this.store.getLive(id);
        return row ? path.join(this.settings.folderOf(row.team), row.id) : undefined;
      },
    };
  }
}

function quotaRefusal(quota: number, remaining: number): UploadRefusal {
  return { status: 413, code: 'UPLOAD_QUOTA_EXCEEDED', message: `the team's uploads would exceed its quota of ${quota} bytes (BULKHEAD_UPLOAD_TEAM_QUOTA_BYTES); ${remaining} bytes are left: delete uploads or wait for them to expire` };
}

/** Files in a team folder: for the sweeper's orphan check. */
export async function filesOf(folder: string): Promise<{ name: string; mtimeMs: number }[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const out: { name: string; mtimeMs: number }[] = [];
  for (const name of names) {
    const info = await stat(path.join(folder, name)).catch(() => null);
    if (info?.isFile()) out.push({ name, mtimeMs: info.mtimeMs });
  }
  return out;
}
