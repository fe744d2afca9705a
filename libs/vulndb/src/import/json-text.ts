/**
 * Turning one record's bytes into a JSON value, with the checks JSON.parse does not make:
 * strict UTF-8 (a replacement character would silently corrupt package names), a nesting bound
 * (validators walk the value; a 100,000-deep array must not reach them), and error messages
 * that say where in the record the problem is.
 */

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export type JsonParse = { ok: true; value: unknown } | { ok: false; reason: string };

/** Parses one JSON document held in `bytes`; never throws. */
export function parseJsonRecord(bytes: Uint8Array, maxDepth: number): JsonParse {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { ok: false, reason: `invalid UTF-8 at byte ${firstInvalidUtf8Offset(bytes)}` };
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0) return { ok: false, reason: `NUL byte at character ${nul} (not allowed in JSON)` };
  const depth = nestingDepthExceeds(text, maxDepth);
  if (depth !== undefined) return { ok: false, reason: `JSON nested deeper than ${maxDepth} levels (at character ${depth})` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, reason: `invalid JSON: ${(error as Error).message}` };
  }
}

/**
 * The offset where nesting first exceeds `maxDepth`, or undefined. A single pass over the text
 * that skips strings (brackets inside strings do not nest).
 */
export function nestingDepthExceeds(text: string, maxDepth: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return i;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return undefined;
}

/** The byte offset of the first malformed UTF-8 sequence (for messages). */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= bytes.length) return i; // truncated sequence at the end
    let code = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      code = (code << 6) | (c & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += need + 1;
  }
  return i;
}
