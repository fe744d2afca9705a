import cbor from 'cbor';
import { malformed } from './errors';
import { MAX_ITEMS, MAX_NESTING } from './limits';

/**
 * CBOR for COSE_Sign1 (RFC 9052), decoded and encoded by node-cbor (`cbor`, pure JavaScript: the
 * faster codecs depend on native add-ons that not every registry mirror carries). A decoder
 * accepts whatever it is given: indefinite lengths, duplicate map keys (the last wins), any tag.
 * An envelope is hostile input, so every item is first checked here against the small subset
 * COSE needs, and only then decoded:
 * - definite lengths only, every length within the input, at most MAX_ITEMS per container and
 *   MAX_NESTING deep (a few bytes cannot claim a gigabyte or a million levels);
 * - map keys are integers or text, never twice in one map;
 * - tags 1 (epoch time, the Notary time headers) and 18 (COSE_Sign1) only.
 */
export function validateCbor(bytes: Uint8Array, what: string): void {
  const end = walk(bytes, 0, 0, what);
  if (end !== bytes.length) throw malformed(`${what} has ${bytes.length - end} trailing bytes after its CBOR item`);
}

/** A tagged item other than tag 1 (decoded to a Date): COSE_Sign1 is tag 18. */
export class Tag {
  constructor(
    readonly value: unknown,
    readonly tag: number,
  ) {}
}

const DECODE_OPTIONS: Parameters<typeof cbor.decodeFirstSync>[1] = {
  // Maps stay Maps (COSE labels are integers), and tag 18 becomes our Tag; tag 1 is a Date.
  preferMap: true,
  tags: { 18: (value: unknown) => new Tag(value, 18) },
};

/** Validates, then decodes: maps become Map, byte strings Uint8Array (Buffer), tag 1 a Date, tag 18 a Tag. */
export function decodeCbor(bytes: Uint8Array, what: string): unknown {
  validateCbor(bytes, what);
  try {
    return cbor.decodeFirstSync(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), DECODE_OPTIONS);
  } catch (error) {
    throw malformed(`${what} is not valid CBOR: ${(error as Error).message}`);
  }
}

/**
 * node-cbor writes a plain Uint8Array as a typed array (RFC 8746 tag 64); COSE wants a byte
 * string, which it writes for a Buffer. Maps keep their insertion order (see canonicalMap).
 */
function toEncodable(value: unknown): unknown {
  if (value instanceof Tag) return new cbor.Tagged(value.tag, toEncodable(value.value));
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(toEncodable);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, toEncodable(v)]));
  return value;
}

export function encodeCbor(value: unknown): Buffer {
  return cbor.encodeOne(toEncodable(value), { canonical: false });
}

/**
 * A map in the core deterministic order of RFC 7049 section 3.9 (shorter encoded key first, then
 * bytewise), which is how Go's fxamacker/cbor writes the Notary protected header: the signature
 * covers these exact bytes, so the order decides whether notation-core-go's conformance vectors
 * are reproduced.
 */
export function canonicalMap(entries: Array<[number | string, unknown]>): Map<number | string, unknown> {
  const keyed = entries.map(([k, v]) => ({ k, v, bytes: encodeCbor(k) }));
  keyed.sort((a, b) => a.bytes.length - b.bytes.length || Buffer.compare(a.bytes, b.bytes));
  return new Map(keyed.map(({ k, v }) => [k, v]));
}

const ALLOWED_TAGS = new Set([1, 18]);

interface Head {
  major: number;
  info: number;
  value: number;
  next: number;
}

function head(bytes: Uint8Array, offset: number, what: string): Head {
  if (offset >= bytes.length) throw malformed(`${what} ends in the middle of a CBOR item`);
  const first = bytes[offset];
  const major = first >> 5;
  const info = first & 0x1f;
  let value: number;
  let next = offset + 1;
  if (info < 24) value = info;
  else if (info <= 27) {
    const size = 1 << (info - 24);
    if (next + size > bytes.length) throw malformed(`${what} ends in the middle of a CBOR item`);
    value = 0;
    for (let i = 0; i < size; i++) value = value * 256 + bytes[next + i];
    next += size;
  } else if (info === 31) {
    throw malformed(`${what} uses an indefinite-length CBOR item, which COSE does not allow here`);
  } else {
    throw malformed(`${what} has a reserved CBOR additional-information value ${info}`);
  }
  return { major, info, value, next };
}

function walk(bytes: Uint8Array, offset: number, depth: number, what: string): number {
  if (depth > MAX_NESTING) throw malformed(`${what} nests CBOR deeper than ${MAX_NESTING} levels`);
  const h = head(bytes, offset, what);
  switch (h.major) {
    case 0:
    case 1:
      return h.next;
    case 2:
    case 3:
      if (h.value > bytes.length - h.next) throw malformed(`${what} has a CBOR string longer than the input`);
      if (h.major === 3) checkUtf8(bytes.subarray(h.next, h.next + h.value), what);
      return h.next + h.value;
    case 4: {
      if (h.value > MAX_ITEMS) throw malformed(`${what} has a CBOR array of ${h.value} items (at most ${MAX_ITEMS})`);
      let at = h.next;
      for (let i = 0; i < h.value; i++) at = walk(bytes, at, depth + 1, what);
      return at;
    }
    case 5: {
      if (h.value > MAX_ITEMS) throw malformed(`${what} has a CBOR map of ${h.value} entries (at most ${MAX_ITEMS})`);
      const seen = new Set<string>();
      let at = h.next;
      for (let i = 0; i < h.value; i++) {
        const key = mapKey(bytes, at, what);
        if (seen.has(key.id)) throw malformed(`${what} has the CBOR map key ${key.id} twice`);
        seen.add(key.id);
        at = walk(bytes, key.next, depth + 1, what);
      }
      return at;
    }
    case 6:
      if (!ALLOWED_TAGS.has(h.value)) throw malformed(`${what} has CBOR tag ${h.value}, which is not used by COSE_Sign1`);
      return walk(bytes, h.next, depth + 1, what);
    default: // 7: simple values and floats
      return h.next;
  }
}

/** A map key, identified by its value (not its bytes: 0x01 and 0x1801 are both the key 1). */
function mapKey(bytes: Uint8Array, offset: number, what: string): { id: string; next: number } {
  const h = head(bytes, offset, what);
  if (h.major === 0) return { id: String(h.value), next: h.next };
  if (h.major === 1) return { id: String(-1 - h.value), next: h.next };
  if (h.major === 3) {
    const next = walk(bytes, offset, 0, what);
    return { id: JSON.stringify(Buffer.from(bytes.subarray(h.next, next)).toString('utf8')), next };
  }
  throw malformed(`${what} has a CBOR map key that is neither an integer nor text`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function checkUtf8(bytes: Uint8Array, what: string): void {
  try {
    utf8.decode(bytes);
  } catch {
    throw malformed(`${what} has a CBOR text string that is not valid UTF-8`);
  }
}
