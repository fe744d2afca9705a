import { createReadStream } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import type { Advisory, RejectedRecord } from '../model';
import { parseJsonRecord } from './json-text';
import { boundedLines } from './line-reader';
import { formatBytes, importLimits, type ImportLimits } from './limits';
import { osvRecordToAdvisory } from './osv-record';
import { zipEntries } from './zip-entries';

/*
 * OSV readers: a `.json` file, a folder of them, osv.dev's per-ecosystem `.zip`, and JSON lines.
 * Each yields normalised Advisories and, for records it cannot use, RejectedRecords naming the
 * file (line, archive member) and the reason; the rest of the input still imports. Input is
 * streamed: at most one record's bytes are held at a time.
 */

export interface ReaderOptions {
  /** `Advisory.source` for every record; default `osv:<path>`. */
  source?: string;
  limits?: Partial<ImportLimits>;
}

export type AdvisoryItem = Advisory | RejectedRecord;

function isJsonFile(name: string): boolean {
  return name.toLowerCase().endsWith('.json');
}

/**
 * The records of one JSON document: an OSV record, or (tolerated, as some exporters write) an
 * array of records, whose members are reported as `where[index]`.
 */
function* recordsOfDocument(bytes: Uint8Array, where: string, source: string, limits: ImportLimits): Generator<AdvisoryItem> {
  const parsed = parseJsonRecord(bytes, limits.maxJsonDepth);
  if (!parsed.ok) {
    yield { where, reason: parsed.reason };
    return;
  }
  if (Array.isArray(parsed.value)) {
    for (const [i, record] of parsed.value.entries()) yield osvRecordToAdvisory(record, { source, where: `${where}[${i}]` });
  } else yield osvRecordToAdvisory(parsed.value, { source, where });
}

/** One OSV `.json` file (one record, or an array of records). */
export async function* readOsvFile(file: string, options: ReaderOptions = {}): AsyncGenerator<AdvisoryItem> {
  const limits = importLimits(options.limits);
  const source = options.source ?? `osv:${file}`;
  yield* readJsonFile(file, file, source, limits);
}

async function* readJsonFile(file: string, where: string, source: string, limits: ImportLimits): AsyncGenerator<AdvisoryItem> {
  const size = (await stat(file)).size;
  if (size > limits.maxRecordBytes) {
    yield { where, reason: `file is ${formatBytes(size)}, over the ${formatBytes(limits.maxRecordBytes)} limit for one record` };
    return;
  }
  yield* recordsOfDocument(await readFile(file), where, source, limits);
}

/**
 * Every `*.json` file under a folder, recursively, in name order (so imports are reproducible).
 * Symbolic links are not followed: a link loop or a link out of the folder cannot widen the import.
 */
export async function* readOsvDirectory(dir: string, options: ReaderOptions = {}): AsyncGenerator<AdvisoryItem> {
  const limits = importLimits(options.limits);
  const source = options.source ?? `osv:${dir}`;
  yield* walk(dir);

  async function* walk(folder: string): AsyncGenerator<AdvisoryItem> {
    const entries = (await readdir(folder, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) yield* walk(full);
      else if (entry.isFile() && isJsonFile(entry.name)) yield* readJsonFile(full, full, source, limits);
    }
  }
}

/**
 * An OSV zip archive as osv.dev publishes one per ecosystem (`<Ecosystem>/all.zip`: one
 * `<ID>.json` per record), read entry by entry. Members that are not `.json` are ignored.
 * Rejections name `archive.zip!member`.
 */
export async function* readOsvZip(archive: string, options: ReaderOptions = {}): AsyncGenerator<AdvisoryItem> {
  const limits = importLimits(options.limits);
  const source = options.source ?? `osv:${archive}`;
  for await (const entry of zipEntries(archive, limits, isJsonFile)) {
    const where = `${archive}!${entry.name}`;
    if ('skipped' in entry) yield { where, reason: entry.skipped };
    else yield* recordsOfDocument(entry.bytes, where, source, limits);
  }
}

/** JSON lines (`.jsonl`, `.ndjson`): one OSV record per line, read one line at a time. */
export async function* readOsvJsonLines(file: string, options: ReaderOptions = {}): AsyncGenerator<AdvisoryItem> {
  const limits = importLimits(options.limits);
  const source = options.source ?? `osv:${file}`;
  const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
  try {
    for await (const line of boundedLines(stream, limits.maxRecordBytes)) {
      const where = `${file}:${line.lineNo}`;
      if ('overlongBytes' in line) {
        yield { where, reason: `line is ${formatBytes(line.overlongBytes)}, over the ${formatBytes(limits.maxRecordBytes)} limit for one record` };
        continue;
      }
      if (isBlank(line.text)) continue;
      const parsed = parseJsonRecord(line.text, limits.maxJsonDepth);
      yield parsed.ok ? osvRecordToAdvisory(parsed.value, { source, where }) : { where, reason: parsed.reason };
    }
  } finally {
    stream.destroy();
  }
}

function isBlank(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  return true;
}

/** The OSV shape of a path: zip, JSON lines, one JSON file, or a folder. */
export type OsvInputKind = 'zip' | 'jsonl' | 'json' | 'directory';

/**
 * Tells the OSV input kinds apart by what the path is and its first bytes (a zip's `PK`
 * signature, whatever its name), then its extension.
 */
export async function osvInputKind(input: string): Promise<OsvInputKind> {
  const info = await stat(input).catch((error: NodeJS.ErrnoException) => {
    throw new BadInputError(`${input}: cannot read (${error.code ?? error.message})`, { cause: error });
  });
  if (info.isDirectory()) return 'directory';
  if (!info.isFile()) throw new BadInputError(`${input}: not a file or folder`);
  const head = await firstBytes(input, 4);
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) && (head[3] === 4 || head[3] === 6)) return 'zip';
  const lower = input.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  return 'json';
}

/** Reads any OSV input (see osvInputKind). */
export async function* readOsv(input: string, options: ReaderOptions = {}): AsyncGenerator<AdvisoryItem> {
  switch (await osvInputKind(input)) {
    case 'directory':
      yield* readOsvDirectory(input, options);
      return;
    case 'zip':
      yield* readOsvZip(input, options);
      return;
    case 'jsonl':
      yield* readOsvJsonLines(input, options);
      return;
    case 'json':
      yield* readOsvFile(input, options);
  }
}

export async function firstBytes(file: string, count: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(count);
    const { bytesRead } = await handle.read(buffer, 0, count, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
