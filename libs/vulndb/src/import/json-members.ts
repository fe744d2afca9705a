/*
 * Streams the members of a JSON document's top-level object (`{"k1": v1, "k2": v2, ...}`) as
 * (key, raw value bytes) pairs, one at a time, so a 70 MB object keyed by package (the Debian
 * tracker's JSON) is parsed one member at a time with JSON.parse instead of whole. Only the
 * structure needed to find member boundaries is tracked (string state, nesting depth); each
 * value is then parsed and checked by parseJsonRecord. A value over `maxValueBytes` is skipped
 * without being held, and reported.
 */

export type JsonMember = { key: string; value: Buffer; offset: number } | { key: string; overlongBytes: number; offset: number } | { error: string; offset: number };

const enum State {
  Start,
  BeforeKey,
  InKey,
  AfterKey,
  BeforeValue,
  InValue,
  AfterValue,
  End,
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const MAX_KEY_BYTES = 4096;

export async function* jsonObjectMembers(chunks: AsyncIterable<Buffer>, maxValueBytes: number): AsyncGenerator<JsonMember> {
  let state = State.Start;
  let offset = 0;
  let keyParts: number[] = [];
  let keyEscape = false;
  let key = '';
  let valueParts: Buffer[] = [];
  let valueLength = 0;
  let valueStart = 0;
  let depth = 0;
  let inString = false;
  let escape = false;
  let overlong = false;
  let members = 0;
  const decoder = new TextDecoder('utf-8', { fatal: true });

  for await (const chunk of chunks) {
    let i = 0;
    let sliceStart = -1;
    const flushValue = (end: number): void => {
      if (sliceStart < 0) return;
      const length = end - sliceStart;
      valueLength += length;
      if (!overlong && valueLength > maxValueBytes) {
        overlong = true;
        valueParts = [];
      }
      if (!overlong && length > 0) valueParts.push(chunk.subarray(sliceStart, end));
      sliceStart = -1;
    };
    const finishValue = (end: number): JsonMember => {
      flushValue(end);
      const member: JsonMember = overlong ? { key, overlongBytes: valueLength, offset: valueStart } : { key, value: Buffer.concat(valueParts, valueLength), offset: valueStart };
      valueParts = [];
      valueLength = 0;
      overlong = false;
      members++;
      return member;
    };
    for (; i < chunk.length; i++, offset++) {
      const c = chunk[i] ?? 0;
      switch (state) {
        case State.Start:
          if (WS.has(c) || (offset < 3 && (c === 0xef || c === 0xbb || c === 0xbf))) continue;
          if (c !== 0x7b) {
            yield { error: `expected a JSON object ("{") at byte ${offset}`, offset };
            return;
          }
          state = State.BeforeKey;
          continue;
        case State.BeforeKey:
          if (WS.has(c)) continue;
          if (c === 0x7d && members === 0) {
            state = State.End;
            continue;
          }
          if (c !== 0x22) {
            yield { error: `expected a member name at byte ${offset}`, offset };
            return;
          }
          state = State.InKey;
          keyParts = [];
          keyEscape = false;
          continue;
        case State.InKey:
          if (keyEscape) keyEscape = false;
          else if (c === 0x5c) keyEscape = true;
          else if (c === 0x22) {
            try {
              key = JSON.parse(decoder.decode(Buffer.from([0x22, ...keyParts, 0x22]))) as string;
            } catch {
              yield { error: `malformed member name at byte ${offset}`, offset };
              return;
            }
            state = State.AfterKey;
            continue;
          }
          if (keyParts.length >= MAX_KEY_BYTES) {
            yield { error: `member name longer than ${MAX_KEY_BYTES} bytes at byte ${offset}`, offset };
            return;
          }
          keyParts.push(c);
          continue;
        case State.AfterKey:
          if (WS.has(c)) continue;
          if (c !== 0x3a) {
            yield { error: `expected ":" after member name ${JSON.stringify(key)} at byte ${offset}`, offset };
            return;
          }
          state = State.BeforeValue;
          continue;
        case State.BeforeValue:
          if (WS.has(c)) continue;
          state = State.InValue;
          valueStart = offset;
          depth = 0;
          inString = false;
          escape = false;
          sliceStart = i;
          // Process this byte again, as the value's first.
          i--;
          offset--;
          continue;
        case State.InValue:
          if (sliceStart < 0) sliceStart = i;
          if (inString) {
            if (escape) escape = false;
            else if (c === 0x5c) escape = true;
            else if (c === 0x22) inString = false;
            continue;
          }
          if (c === 0x22) inString = true;
          else if (c === 0x7b || c === 0x5b) depth++;
          else if (c === 0x7d || c === 0x5d) {
            if (depth === 0) {
              // The top-level object closes right after a scalar value.
              yield finishValue(i);
              state = State.End;
              continue;
            }
            depth--;
            if (depth === 0) {
              yield finishValue(i + 1);
              state = State.AfterValue;
            }
          } else if (c === 0x2c && depth === 0) {
            yield finishValue(i);
            state = State.BeforeKey;
          }
          continue;
        case State.AfterValue:
          if (WS.has(c)) continue;
          if (c === 0x2c) state = State.BeforeKey;
          else if (c === 0x7d) state = State.End;
          else {
            yield { error: `expected "," or "}" after member ${JSON.stringify(key)} at byte ${offset}`, offset };
            return;
          }
          continue;
        case State.End:
          if (!WS.has(c)) {
            yield { error: `unexpected data after the top-level object at byte ${offset}`, offset };
            return;
          }
          continue;
      }
    }
    if (state === State.InValue) flushValue(chunk.length);
  }
  // (The cast: TypeScript narrows `state` as if the loop never ran.)
  if ((state as State) !== State.End) yield { error: `truncated JSON: the top-level object is not closed (${offset} bytes read)`, offset };
}
