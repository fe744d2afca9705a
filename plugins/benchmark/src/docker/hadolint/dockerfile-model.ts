import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { execFormShell, parseShell, type ParsedShell } from './shell';

/** One Dockerfile instruction as the rules see it. Lines are 1-based. */
export interface DockerInstruction {
  keyword: string;
  line: number;
  endLine: number;
  /** Argument text after the flags, continuation lines joined. */
  text: string;
  /** Argument words after the flags, as written (quotes kept). */
  words: string[];
  /** `--name=value` flags before the arguments (`RUN --mount=…`, `COPY --from=…`). */
  flags: { name: string; value: string | null }[];
  /** Exec (JSON array) form words, when the arguments are a JSON array of strings. */
  exec?: string[];
  /** `NAME=value` pairs of ENV, LABEL and ARG. */
  pairs: { name: string; value: string | null }[];
  /** The instruction an ONBUILD wraps. */
  trigger?: DockerInstruction;
  /** The shell commands of RUN (shell or exec form). */
  shell?: ParsedShell;
}

/** A FROM line's parts: `[--platform=p] image[:tag][@digest] [AS alias]`. */
export interface BaseImage {
  image: string;
  tag?: string;
  digest?: string;
  alias?: string;
  platform?: string;
}

export interface ParsedDockerfile {
  instructions: DockerInstruction[];
  comments: { line: number; text: string }[];
}

/** Parses Dockerfile text with dockerfile-ast (tolerant: never throws on bad syntax). */
export function parseDockerfile(content: string): ParsedDockerfile {
  const dockerfile = DockerfileParser.parse(content);
  return {
    instructions: dockerfile.getInstructions().map(toInstruction),
    // Read from the raw lines: dockerfile-ast takes a first-line `# name ...=` comment for a parser directive.
    comments: content.split('\n').flatMap((text, i) => {
      const comment = /^\s*#\s*(.*)$/.exec(text)?.[1];
      return comment === undefined ? [] : [{ line: i + 1, text: comment }];
    }),
  };
}

function toInstruction(instruction: Instruction): DockerInstruction {
  const keyword = instruction.getKeyword().toUpperCase();
  const range = instruction.getRange();
  const text = (instruction.getArgumentsContent() ?? '').trim();
  const flags = 'getFlags' in instruction && typeof instruction.getFlags === 'function' ? (instruction.getFlags() as { getName(): string; getValue(): string | null }[]).map((f) => ({ name: f.getName(), value: f.getValue() })) : [];
  const result: DockerInstruction = {
    keyword,
    line: range.start.line + 1,
    endLine: range.end.line + 1,
    text,
    words: splitWords(text),
    flags,
    pairs: [],
  };
  const exec = jsonArray(text);
  if (exec) result.exec = exec;
  if ('getProperties' in instruction && typeof instruction.getProperties === 'function') {
    result.pairs = (instruction.getProperties() as { getName(): string; getValue(): string | null }[]).map((p) => ({ name: p.getName(), value: p.getValue() }));
  }
  if (keyword === 'ONBUILD' && 'getTriggerInstruction' in instruction && typeof instruction.getTriggerInstruction === 'function') {
    const trigger = instruction.getTriggerInstruction() as Instruction | null;
    if (trigger) result.trigger = { ...toInstruction(trigger), line: result.line, endLine: result.endLine };
  }
  if (keyword === 'RUN') result.shell = exec ? execFormShell(exec) : parseShell(text);
  return result;
}

/** The strings of a JSON array of strings, or undefined when `text` is not one. */
function jsonArray(text: string): string[] | undefined {
  if (!text.startsWith('[') || !text.endsWith(']')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Splits argument text on blanks outside quotes, keeping quotes and backslashes as written
 * (dockerfile-ast's own arguments split `"C:\\Program Files"` in two).
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | null = null;
  let inWord = false;
  for (const c of text) {
    if (quote !== null) {
      word += c;
      if (c === quote) quote = null;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      if (c === '"' || c === "'") quote = c;
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Splits a FROM instruction into image, tag, digest, alias and platform. */
export function baseImageOf(from: DockerInstruction): BaseImage {
  const [ref = '', as, alias] = from.words;
  const platform = from.flags.find((f) => f.name === 'platform')?.value ?? undefined;
  const at = ref.indexOf('@');
  const withoutDigest = at >= 0 ? ref.slice(0, at) : ref;
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > slash;
  return {
    image: hasTag ? withoutDigest.slice(0, colon) : withoutDigest,
    ...(hasTag ? { tag: withoutDigest.slice(colon + 1) } : {}),
    ...(at >= 0 ? { digest: ref.slice(at + 1) } : {}),
    ...(as?.toUpperCase() === 'AS' && alias ? { alias } : {}),
    ...(platform !== undefined ? { platform } : {}),
  };
}

/** Removes surrounding quotes (hadolint's dropQuotes: every leading and trailing `"` or `'`). */
export function dropQuotes(text: string): string {
  return text.replace(/^["']+|["']+$/g, '');
}
