import { LIMITS } from './bounded';
import { SigningFormatError } from './errors';

export interface PemBlock {
  type: string;
  der: Buffer;
}

const BEGIN = /^-----BEGIN ([A-Z0-9 ]+)-----$/;
const BODY = /^[A-Za-z0-9+/=]+$/;

/**
 * Parses a PEM file strictly: blocks of `-----BEGIN T-----` / base64 lines / `-----END T-----`,
 * separated by blank lines only. Anything else (text before, between or after the blocks, headers
 * such as Proc-Type, a BEGIN without END, bad base64) is refused with the line it was found on:
 * Go's pem.Decode silently ignores trailing junk, which hides truncated or concatenated files.
 */
export function parsePem(input: string | Uint8Array, what: string): PemBlock[] {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > LIMITS.pemBytes) throw new SigningFormatError(`${what}: ${size} bytes, larger than the limit of ${LIMITS.pemBytes} for a PEM file`);
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const blocks: PemBlock[] = [];
  let current: { type: string; body: string[] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (current === undefined) {
      if (line === '') continue;
      const begin = BEGIN.exec(line);
      if (!begin) throw new SigningFormatError(`${what}: not a PEM file (line ${i + 1} is neither blank nor a "-----BEGIN ...-----" line)`);
      current = { type: begin[1], body: [] };
      continue;
    }
    if (line === `-----END ${current.type}-----`) {
      const body = current.body.join('');
      if (body.length === 0 || body.length % 4 !== 0) throw new SigningFormatError(`${what}: the ${current.type} block ending on line ${i + 1} has a truncated body`);
      blocks.push({ type: current.type, der: Buffer.from(body, 'base64') });
      current = undefined;
      continue;
    }
    if (line === '') continue;
    if (!BODY.test(line)) throw new SigningFormatError(`${what}: line ${i + 1} inside the ${current.type} block is not base64 (PEM headers are not supported)`);
    current.body.push(line);
  }
  if (current !== undefined) throw new SigningFormatError(`${what}: the ${current.type} block has no "-----END ${current.type}-----" line`);
  if (blocks.length === 0) throw new SigningFormatError(`${what}: no PEM block found`);
  return blocks;
}

/** The one block of a PEM file that must hold exactly one, of one of the accepted types. */
export function parseSinglePem(input: string | Uint8Array, what: string, types: readonly string[]): PemBlock {
  const blocks = parsePem(input, what);
  if (blocks.length !== 1) throw new SigningFormatError(`${what}: expected one PEM block, found ${blocks.length}`);
  const [block] = blocks;
  if (!types.includes(block.type)) throw new SigningFormatError(`${what}: PEM block is "${block.type}", expected ${types.map((t) => `"${t}"`).join(' or ')}`);
  return block;
}

/** PEM text as Go's pem.EncodeToMemory writes it: 64-character lines, a final newline. */
export function encodePem(type: string, der: Uint8Array): string {
  const body = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${type}-----\n${body}\n-----END ${type}-----\n`;
}
