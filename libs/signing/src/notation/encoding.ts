import { malformed } from './errors';
import { MAX_ITEMS, MAX_NESTING } from './limits';

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes unpadded base64url (RFC 7515 section 2). Node's decoder skips characters it does not
 * know, so the alphabet is checked first: a tampered value must fail, not decode to something else.
 */
export function decodeBase64Url(value: unknown, what: string): Buffer {
  if (typeof value !== 'string') throw malformed(`${what} is not a string`);
  if (!BASE64URL.test(value) || value.length % 4 === 1) throw malformed(`${what} is not valid base64url`);
  return Buffer.from(value, 'base64url');
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** Decodes standard padded base64 (the x5c members of a JWS, RFC 7515 section 4.1.6). */
export function decodeBase64(value: unknown, what: string): Buffer {
  if (typeof value !== 'string') throw malformed(`${what} is not a string`);
  if (!BASE64.test(value) || value.length % 4 !== 0) throw malformed(`${what} is not valid base64`);
  return Buffer.from(value, 'base64');
}

/**
 * JSON.parse with the checks it lacks: a nesting bound, a bound on members, and duplicate object
 * keys refused (JSON.parse keeps the last one, so `{"alg":"PS256","alg":"none"}` would read
 * differently in another verifier). `what` names the document in errors.
 */
export function parseStrictJson(text: string, what: string): unknown {
  scanJson(text, what);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw malformed(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

export function parseStrictJsonBytes(bytes: Uint8Array, what: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw malformed(`${what} is not valid UTF-8`);
  }
  return parseStrictJson(text, what);
}

interface Frame {
  object: boolean;
  keys: Set<string>;
  count: number;
  expectKey: boolean;
}

/** One pass over the text, tracking containers only (values are left to JSON.parse). */
function scanJson(text: string, what: string): void {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = stringEnd(text, i, what);
      const top = stack[stack.length - 1];
      if (top?.object && top.expectKey) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, end + 1)) as string;
        } catch {
          throw malformed(`${what} is not valid JSON: bad string at offset ${i}`);
        }
        if (++top.count > MAX_ITEMS) throw malformed(`${what} has an object with more than ${MAX_ITEMS} members`);
        if (top.keys.has(key)) throw malformed(`${what} has the key ${JSON.stringify(key)} twice`);
        top.keys.add(key);
        top.expectKey = false;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      countItem(stack, what);
      if (stack.length >= MAX_NESTING) throw malformed(`${what} is nested deeper than ${MAX_NESTING} levels`);
      stack.push({ object: c === 0x7b, keys: new Set(), count: 0, expectKey: c === 0x7b });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.object) top.expectKey = true;
      else countItem(stack, what);
    }
  }
}

function countItem(stack: Frame[], what: string): void {
  const top = stack[stack.length - 1];
  if (top && ++top.count > MAX_ITEMS) throw malformed(`${what} has a container with more than ${MAX_ITEMS} items`);
}

function stringEnd(text: string, start: number, what: string): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22) return i;
  }
  throw malformed(`${what} is not valid JSON: unterminated string`);
}

/** Narrowing helpers that name the field in their error. */
export function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

export function asString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw malformed(`${what} is not a string`);
  return value;
}

export function asStringArray(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw malformed(`${what} is not an array of strings`);
  return value as string[];
}

