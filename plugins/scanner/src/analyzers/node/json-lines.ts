import { BadInputError } from '@bulkhead/plugin-sdk';
import { visit, type JSONPath } from 'jsonc-parser';
import type { Location } from './lock-package';

/**
 * JSON.parse with errors that name the file, line and column (JSON.parse alone gives a byte
 * position). Strict JSON: comments and trailing commas are errors, as they are for npm.
 */
export function parseJson(text: string, where: string): unknown {
  checkDepth(text, where);
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    // V8 gives no position for a file cut short: the error is at its end.
    const offset = position ? Number(position[1]) : /end of JSON input/.test(message) ? text.length : undefined;
    if (offset !== undefined) {
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      const column = offset - before.lastIndexOf('\n');
      throw new BadInputError(`${where}:${line}:${column}: JSON decode error: ${message}`, { cause: error });
    }
    throw new BadInputError(`${where}: JSON decode error: ${message}`, { cause: error });
  }
}

/** Deeper than any lockfile or manifest gets (npm's are 4 levels); deeper input is hostile. */
const MAX_DEPTH = 256;

/**
 * Refuses JSON nested deeper than MAX_DEPTH before any parser sees it: the line-tracking parser
 * below recurses per level, and a file of 100,000 `[` would overflow the stack. One pass over
 * the characters, skipping strings.
 */
function checkDepth(text: string, where: string): void {
  let depth = 0;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > MAX_DEPTH) throw new BadInputError(`${where}:${line}: JSON nested deeper than ${MAX_DEPTH} levels`);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
    else if (c === 0x0a) line++;
  }
}

/**
 * The 1-based line range of every object whose JSON path `select` accepts, keyed by
 * `select`'s return value. One streaming pass (jsonc-parser's visitor), no tree is built.
 */
export function objectLines(text: string, where: string, select: (path: JSONPath) => string | undefined): Map<string, Location> {
  checkDepth(text, where);
  const found = new Map<string, Location>();
  const open: { key: string | undefined; startLine: number }[] = [];
  visit(
    text,
    {
      onObjectBegin: (_offset, _length, startLine, _startCharacter, pathSupplier) => {
        open.push({ key: select(pathSupplier()), startLine: startLine + 1 });
      },
      onObjectEnd: (_offset, _length, startLine) => {
        const begun = open.pop();
        if (begun?.key !== undefined) found.set(begun.key, { startLine: begun.startLine, endLine: startLine + 1 });
      },
    },
    { disallowComments: true },
  );
  return found;
}
