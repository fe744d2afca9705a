import Database from 'better-sqlite3';
import { BadInputError } from '@bulkhead/plugin-sdk';

/*
 * rpm's SQLite backend (`rpmdb.sqlite`, rpm >= 4.16: Fedora 33+, RHEL 9, CBL-Mariner 2): table
 * Packages(hnum INTEGER PRIMARY KEY, blob BLOB), one rpm header blob per package.
 */

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export function isSqlite(data: Buffer): boolean {
  return data.length >= 100 && data.subarray(0, 16).equals(MAGIC);
}

/**
 * The header blobs of an SQLite rpm database, in hnum order. The database is opened from memory
 * (never from a path inside the image) and read-only. rpm leaves its database in WAL mode
 * (header bytes 18/19 = 2), which SQLite cannot open from memory; the copy we open is switched
 * to rollback-journal mode (1/1). That only changes how SQLite would write: the pages are the
 * same, and a WAL file beside the database is not part of the image's committed state that rpm
 * itself would read after a checkpoint.
 */
export function* sqliteBlobs(data: Buffer, where: string): Generator<Buffer> {
  if (!isSqlite(data)) throw new BadInputError(`${where}: not an SQLite database (bad magic)`);
  const copy = Buffer.from(data);
  if (copy[18] === 2) copy[18] = 1;
  if (copy[19] === 2) copy[19] = 1;
  let db: Database.Database;
  try {
    db = new Database(copy, { readonly: true });
  } catch (error) {
    throw new BadInputError(`${where}: SQLite: ${(error as Error).message}`, { cause: error });
  }
  try {
    let rows: IterableIterator<unknown>;
    try {
      rows = db.prepare('SELECT blob FROM Packages ORDER BY hnum').pluck().iterate();
    } catch (error) {
      throw new BadInputError(`${where}: SQLite: ${(error as Error).message} (not an rpm database?)`, { cause: error });
    }
    for (const blob of rows) {
      if (!Buffer.isBuffer(blob)) throw new BadInputError(`${where}: SQLite: a Packages row holds ${typeof blob}, not a header blob`);
      yield blob;
    }
  } finally {
    db.close();
  }
}
