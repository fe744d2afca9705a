import type { DataSource, EntityManager, Repository } from 'typeorm';
import { UploadEntity } from './entities/upload.entity';
import type { TeamAccessor } from './team';

export interface NewUpload {
  id: string;
  createdBy: string;
  name: string | null;
  size: number;
  sha256: string;
  expiresAt: Date;
}

/** Why an upload was not recorded: it would take the team past its quota. */
export interface UploadOverQuota {
  overQuota: true;
  /** Bytes the team's other live uploads take. */
  used: number;
}

/**
 * Rows of uploaded files, within the team of the request (team.ts); the sweeper's methods work
 * across teams and are never used to serve a request.
 */
export class UploadStore {
  private readonly repo: Repository<UploadEntity>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly team: TeamAccessor,
  ) {
    this.repo = dataSource.getRepository(UploadEntity);
  }

  /** Bytes the team's unexpired uploads take. */
  async usedBytes(now = new Date()): Promise<number> {
    return usedBytes(this.dataSource.manager, this.team(), now);
  }

  /**
   * Records an upload whose file is complete, unless the team's live uploads plus this one would
   * exceed `quotaBytes` (0 = no quota). Exact under concurrency: the check and the insert run in
   * one transaction holding a lock per team, so two uploads cannot both take the last bytes.
   */
  async record(upload: NewUpload, quotaBytes: number, now = new Date()): Promise<UploadEntity | UploadOverQuota> {
    const team = this.team();
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`bulkhead.upload-quota:${team}`]);
      const used = await usedBytes(manager, team, now);
      if (quotaBytes > 0 && used + upload.size > quotaBytes) return { overQuota: true as const, used };
      return manager.getRepository(UploadEntity).save(manager.getRepository(UploadEntity).create({ ...upload, team }));
    });
  }

  /** The team's upload by id, if it exists and has not expired. */
  async getLive(id: string, now = new Date()): Promise<UploadEntity | null> {
    return this.repo.createQueryBuilder('u').where('u.id = :id AND u.team = :team AND u.expires_at > :now', { id, team: this.team(), now }).getOne();
  }

  /** The team's unexpired uploads, newest first. */
  list(now = new Date()): Promise<UploadEntity[]> {
    return this.repo.createQueryBuilder('u').where('u.team = :team AND u.expires_at > :now', { team: this.team(), now }).orderBy('u.created_at', 'DESC').addOrderBy('u.id', 'DESC').take(1000).getMany();
  }

  /** Deletes the team's upload row; the removed row, or null when the team has none with that id. */
  async delete(id: string): Promise<UploadEntity | null> {
    const rows = await this.dataSource.query<[UploadRow[], number]>(`DELETE FROM upload WHERE id = $1 AND team = $2 RETURNING id, team`, [id, this.team()]);
    const row = rows[0][0];
    return row ? Object.assign(new UploadEntity(), row) : null;
  }
}

interface UploadRow {
  id: string;
  team: string;
}

async function usedBytes(manager: EntityManager, team: string, now: Date): Promise<number> {
  const [row] = await manager.query<{ used: string }[]>(`SELECT COALESCE(SUM(size), 0)::text AS used FROM upload WHERE team = $1 AND expires_at > $2`, [team, now]);
  return Number(row?.used ?? 0);
}

/**
 * Expired uploads of every team, for the sweeper. An upload a task still QUEUED or RUNNING names
 * (its id is in the task's input: the resolved path ends with it) is kept until that task ends.
 */
export async function expiredUploads(dataSource: DataSource, now = new Date(), limit = 500): Promise<{ id: string; team: string }[]> {
  return dataSource.query(
    `SELECT u.id, u.team FROM upload u
      WHERE u.expires_at <= $1
        AND NOT EXISTS (SELECT 1 FROM task t WHERE t.team = u.team AND t.status IN ('QUEUED', 'RUNNING') AND strpos(t.input::text, u.id::text) > 0)
      ORDER BY u.expires_at LIMIT $2`,
    [now, limit],
  );
}

/** Deletes one upload row by id, whatever its team (the sweeper, after removing the file). */
export async function deleteUploadRow(dataSource: DataSource, id: string): Promise<void> {
  await dataSource.query(`DELETE FROM upload WHERE id = $1`, [id]);
}

/** Whether any row names this id (the sweeper keeps files that have one). */
export async function uploadRowExists(dataSource: DataSource, id: string): Promise<boolean> {
  const rows = await dataSource.query<unknown[]>(`SELECT 1 FROM upload WHERE id = $1`, [id]);
  return rows.length > 0;
}
