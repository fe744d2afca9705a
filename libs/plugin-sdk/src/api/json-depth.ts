/**
 * The deepest nesting of arrays and objects in a JSON text, found by one pass over its bytes
 * without parsing it: a body such as `[[[[…]]]]` is refused before JSON.parse and recursive
 * code that walks the value (validation, storage) can exhaust the stack. Brackets inside
 * strings are skipped. Stops counting once `limit` is exceeded (the answer is then limit + 1).
 */
export function jsonNestingDepth(text: string | Uint8Array, limit = Number.MAX_SAFE_INTEGER): number {
  const QUOTE = 0x22;
  const BACKSLASH = 0x5c;
  const code = typeof text === 'string' ? (i: number) => text.charCodeAt(i) : (i: number) => text[i] ?? 0;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = code(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** Nesting deeper than this in a request body is refused (400): no legitimate input comes close. */
export const MAX_JSON_NESTING = 64;
