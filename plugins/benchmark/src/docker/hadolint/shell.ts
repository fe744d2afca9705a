/**
 * The shell commands of a `RUN` script, found the way hadolint finds them.
 *
 * hadolint parses `RUN` with ShellCheck's parser and then looks only at the *simple commands* in
 * the tree: their name and their argument words with quotes removed. This module produces the same
 * view without a full shell AST. A small tokenizer is used instead of an npm package because the
 * candidates do not give that view: `shell-quote` (the well-kept word splitter) flattens `$( … )`
 * into loose `$`, `(` tokens, turns a backslash-newline into an empty word and expands `$VAR`;
 * `bash-parser` is unmaintained since 2017; `mvdan-sh`/`sh-syntax` are a ~1.5 MB GopherJS/WASM
 * build for a few hundred lines of need.
 *
 * What it does, as ShellCheck does for hadolint:
 * - splits commands on `&&`, `||`, `;`, `;;`, `&`, `|`, `|&`, newlines, `(`, `)`;
 * - removes quotes (`'…'`, `"…"`, `$'…'`), backslash escapes and line continuations;
 * - finds commands inside `$( … )`, `` `…` `` and `<( … )` (listed after the command holding them);
 * - skips leading `NAME=value` assignments (`a=(x y)` too), redirections (`> file`, `2>&1`,
 *   `<<EOF`), comments, the reserved words of compound commands (`if`, `then`, `do`, `{`, …),
 *   `for`/`select` headers, `case` patterns, `[[ … ]]` tests and `(( … ))` arithmetic;
 * - names `busybox X`, `builtin X`, `command X`, `exec X` by X, like ShellCheck's getCommandName;
 *   `sudo`, `xargs` and `env` stay the command name, as in hadolint;
 * - drops a command whose name is not a literal word (`$CC -o x`), as ShellCheck does.
 * A script ShellCheck could not parse (an unterminated quote or `$(`) yields no commands, as in
 * hadolint; `error` then says why.
 */

export interface ShellCommand {
  /** The program name (`apt-get`), after unwrapping `command`/`exec`/`builtin`/`busybox`. */
  name: string;
  /** Every word after the first, quotes removed; expansions kept as written (`$V`, `${V}`, `$(…)`). */
  args: string[];
  /** Flags found in `args`: `--name=v` → `name`; `-abc` → `a`, `b`, `c`; `at` is the index in `args`. */
  flags: { name: string; at: number }[];
}

export interface ParsedShell {
  original: string;
  commands: ShellCommand[];
  /** True when some pipeline has a `|` or `|&`. */
  hasPipes: boolean;
  /** Why the script could not be parsed; then `commands` is empty (as with hadolint). */
  error?: string;
}

/** Nesting deeper than this is skipped over (its commands are not listed) instead of parsed. */
const MAX_DEPTH = 50;

const RESERVED_AT_START = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', '!', '{', '}', 'time']);
/** Compound-command headers whose words up to the next separator are not a command. */
const HEADERS = new Set(['for', 'select']);
const WRAPPERS = new Set(['busybox', 'builtin', 'command', 'run']);
/** Characters that end a run of plain word characters. */
const WORD_SPECIAL = '\\\'"$` \t\r\n;&|()<>';
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;

interface Word {
  text: string;
  /** True when the word has no expansion (`$…`, backquote), so it can name a command. */
  literal: boolean;
  /** True when part of the word was quoted (a quoted `#` or `=` is not special). */
  quoted: boolean;
}

class ParseFailure extends Error {}

/** Parses a `RUN` script into its simple commands. Never throws; linear in the script length. */
export function parseShell(script: string): ParsedShell {
  const parser = new Parser(script);
  try {
    parser.parseList(0, null);
    return { original: script, commands: parser.commands, hasPipes: parser.hasPipes };
  } catch (error) {
    if (error instanceof ParseFailure) return { original: script, commands: [], hasPipes: false, error: error.message };
    throw error;
  }
}

class Parser {
  pos = 0;
  commands: ShellCommand[] = [];
  hasPipes = false;
  /** Inside a backquoted script a backquote ends it (nested ones would be escaped). */
  private inBackquotes = false;

  constructor(private readonly src: string) {}

  /**
   * Parses commands until `close` (`)` or a backquote) at this nesting level, or the end.
   * Nested commands are appended after the command that holds them (ShellCheck's pre-order walk).
   */
  parseList(depth: number, close: ')' | '`' | null): void {
    const src = this.src;
    let words: Word[] = [];
    let nested: ShellCommand[] = [];
    let skipToSeparator = false;
    // In `case … in`, words up to `)` are a pattern, not a command (again after each `;;`).
    let casePattern = false;
    const finish = (): void => {
      if (!skipToSeparator) this.addCommand(words);
      this.commands.push(...nested);
      words = [];
      nested = [];
      skipToSeparator = false;
    };
    while (this.pos < src.length) {
      const c = src.charAt(this.pos);
      if (c === ' ' || c === '\t' || c === '\r') {
        this.pos++;
      } else if (c === '\\' && src[this.pos + 1] === '\n') {
        this.pos += 2;
      } else if (c === '#') {
        while (this.pos < src.length && src[this.pos] !== '\n') this.pos++;
      } else if (c === '|' && casePattern) {
        // `a|b)`: alternatives of one case pattern.
        this.pos++;
      } else if (c === '(' && words.length === 0 && (casePattern || src[this.pos + 1] === '(')) {
        // `(pattern)` in a case, or an arithmetic command `(( … ))`: no command in either.
        this.pos++;
        if (!casePattern) this.skipBalanced(')');
      } else if (c === '\n' || c === ';' || c === '&' || c === '|' || c === '(') {
        if (c === '|' && src[this.pos + 1] !== '|') this.hasPipes = true;
        if (c === ';' && (src[this.pos + 1] === ';' || src[this.pos + 1] === '&')) casePattern = true;
        if (c === '&' && src[this.pos + 1] === '>') {
          this.skipRedirect(depth, nested);
          continue;
        }
        if (c === '(' && words.length > 0) {
          // `name() { …; }` function definition: the name is not a command.
          words = [];
        }
        this.pos += (c === '&' || c === '|' || c === ';') && (src[this.pos + 1] === c || (c === '|' && src[this.pos + 1] === '&')) ? 2 : 1;
        finish();
      } else if (c === ')' || c === '`') {
        if (c === close) {
          this.pos++;
          finish();
          return;
        }
        if (c === ')') {
          // A `)` ends a case pattern (its words are dropped) or closes a subshell.
          this.pos++;
          if (casePattern) {
            words = [];
            casePattern = false;
          }
          finish();
          continue;
        }
        words.push(this.readWord(depth, nested));
      } else if (c === '<' || c === '>') {
        this.skipRedirect(depth, nested);
      } else {
        const word = this.readWord(depth, nested);
        const atStart = words.length === 0 && !skipToSeparator && !casePattern && !word.quoted;
        if (atStart && RESERVED_AT_START.has(word.text)) continue;
        if (atStart && HEADERS.has(word.text)) {
          skipToSeparator = true;
          continue;
        }
        if (atStart && word.text === 'case') {
          this.skipCaseHeader();
          casePattern = true;
          continue;
        }
        if (words.length === 0 && !word.quoted && word.text === 'esac') {
          casePattern = false;
          continue;
        }
        if (atStart && word.text === 'function') {
          this.skipBlanks();
          this.readWord(depth, nested);
          continue;
        }
        if (atStart && word.text === '[[') {
          // A `[[ … ]]` test is not a command; `&&` inside it does not split.
          const end = src.indexOf(']]', this.pos);
          this.pos = end < 0 ? src.length : end + 2;
          skipToSeparator = true;
          continue;
        }
        if (words.length === 0 && ASSIGNMENT.test(word.text)) continue;
        // An fd number glued to a redirection (`2>`, `1>&2`) is part of the redirection.
        if (/^\d+$/.test(word.text) && !word.quoted && (src[this.pos] === '<' || src[this.pos] === '>')) {
          this.skipRedirect(depth, nested);
          continue;
        }
        words.push(word);
      }
    }
    if (close !== null) throw new ParseFailure(close === ')' ? 'unterminated $( … )' : 'unterminated backquote');
    finish();
  }

  private skipBlanks(): void {
    while (this.src[this.pos] === ' ' || this.src[this.pos] === '\t') this.pos++;
  }

  /** After `case WORD in`, patterns and bodies are parsed as commands; skip `WORD in`. */
  private skipCaseHeader(): void {
    const match = /^\s*\S+\s+in\b/.exec(this.src.slice(this.pos, this.pos + 4096));
    if (match) this.pos += match[0].length;
  }

  /** Skips a redirection operator and its target word (`> file`, `2>&1`, `<<-EOF`, `&>> log`). */
  private skipRedirect(depth: number, nested: ShellCommand[]): void {
    const src = this.src;
    while (this.pos < src.length && '<>&|-'.includes(src.charAt(this.pos))) {
      // `<(` / `>(` is process substitution: its commands count.
      if ((src[this.pos] === '<' || src[this.pos] === '>') && src[this.pos + 1] === '(') {
        this.pos += 2;
        this.parseNested(depth, ')', nested);
        return;
      }
      this.pos++;
    }
    while (src[this.pos] === ' ' || src[this.pos] === '\t') this.pos++;
    if (this.pos < src.length && !'\n;|&()'.includes(src.charAt(this.pos))) this.readWord(depth, nested);
  }

  private addCommand(words: Word[]): void {
    const [first, second] = words;
    if (first === undefined || !first.literal) return;
    let name = first.text;
    const rest = words.slice(1).map((w) => w.text);
    // ShellCheck's getCommandName looks through these wrappers to the program they run.
    if (WRAPPERS.has(name) && rest[0] !== undefined && !rest[0].startsWith('-') && second?.literal) name = rest[0];
    else if (name === 'exec') {
      // exec's options are -c, -l and -a NAME (ShellCheck: getBsdOpts "cla:").
      for (let i = 0; i < rest.length; i++) {
        const word = rest[i] ?? '';
        if (!word.startsWith('-')) {
          name = word;
          break;
        }
        if (word.endsWith('a')) i++;
      }
    }
    this.commands.push({ name, args: rest, flags: flagsOf(rest) });
  }

  /** Parses the commands of `$( … )` or a backquoted script into `into`; past MAX_DEPTH only skips. */
  private parseNested(depth: number, close: ')' | '`', into: ShellCommand[]): void {
    if (depth >= MAX_DEPTH) {
      this.skipBalanced(close);
      return;
    }
    const outer = this.commands;
    const outerBackquotes = this.inBackquotes;
    this.commands = [];
    this.inBackquotes = close === '`';
    try {
      this.parseList(depth + 1, close);
      into.push(...this.commands);
    } finally {
      this.commands = outer;
      this.inBackquotes = outerBackquotes;
    }
  }

  /** Moves past the matching `close` without listing commands (too deep to parse). */
  private skipBalanced(close: ')' | '`'): void {
    const src = this.src;
    if (close === '`') {
      const end = src.indexOf('`', this.pos);
      if (end < 0) throw new ParseFailure('unterminated backquote');
      this.pos = end + 1;
      return;
    }
    let open = 1;
    while (this.pos < src.length) {
      const c = src[this.pos++];
      if (c === '\\') this.pos++;
      else if (c === '(') open++;
      else if (c === ')' && --open === 0) return;
    }
    throw new ParseFailure('unterminated $( … )');
  }

  /** Reads one word: quotes removed, escapes resolved, expansions kept as written. */
  private readWord(depth: number, nested: ShellCommand[]): Word {
    const src = this.src;
    let text = '';
    let literal = true;
    let quoted = false;
    while (this.pos < src.length) {
      const c = src.charAt(this.pos);
      if (c === '\\') {
        if (src[this.pos + 1] === '\n') this.pos += 2;
        else {
          text += src[this.pos + 1] ?? '';
          this.pos += 2;
        }
      } else if (c === "'") {
        const end = src.indexOf("'", this.pos + 1);
        if (end < 0) throw new ParseFailure('unterminated single quote');
        text += src.slice(this.pos + 1, end);
        this.pos = end + 1;
        quoted = true;
      } else if (c === '"') {
        this.pos++;
        const inner = this.readDoubleQuoted(depth, nested);
        text += inner.text;
        literal &&= inner.literal;
        quoted = true;
      } else if (c === '$') {
        if (src[this.pos + 1] === "'") {
          const end = src.indexOf("'", this.pos + 2);
          if (end < 0) throw new ParseFailure('unterminated $\' quote');
          text += src.slice(this.pos + 2, end);
          this.pos = end + 1;
          quoted = true;
        } else {
          text += this.readDollar(depth, nested);
          literal = false;
        }
      } else if (c === '`') {
        if (this.inBackquotes) break;
        const start = this.pos;
        this.pos++;
        this.parseNested(depth, '`', nested);
        text += src.slice(start, this.pos);
        literal = false;
      } else if (c === '(' && /^[A-Za-z_][A-Za-z0-9_]*\+?=$/.test(text) && !quoted) {
        // An array assignment `name=(a b)` is one word.
        const start = this.pos;
        this.pos++;
        this.skipBalanced(')');
        text += src.slice(start, this.pos);
      } else if (' \t\r\n;&|()<>'.includes(c)) {
        // `{a,b}` and `[…]` are globs, not operators; `(` in `foo=(…)` arrays is rare enough to split on.
        break;
      } else {
        // Copy the run of plain characters at once: a 1 MB word stays linear and quick.
        let end = this.pos + 1;
        while (end < src.length && !WORD_SPECIAL.includes(src.charAt(end))) end++;
        text += src.slice(this.pos, end);
        this.pos = end;
      }
    }
    return { text, literal, quoted };
  }

  private readDoubleQuoted(depth: number, nested: ShellCommand[]): { text: string; literal: boolean } {
    const src = this.src;
    let text = '';
    let literal = true;
    while (this.pos < src.length) {
      const c = src.charAt(this.pos);
      if (c === '"') {
        this.pos++;
        return { text, literal };
      }
      if (c === '\\') {
        const next = src[this.pos + 1];
        if (next === '\n') this.pos += 2;
        else if (next !== undefined && '"\\$`'.includes(next)) {
          text += next;
          this.pos += 2;
        } else {
          text += c;
          this.pos++;
        }
      } else if (c === '$') {
        text += this.readDollar(depth, nested);
        literal = false;
      } else if (c === '`') {
        const start = this.pos;
        this.pos++;
        this.parseNested(depth, '`', nested);
        text += src.slice(start, this.pos);
        literal = false;
      } else {
        text += c;
        this.pos++;
      }
    }
    throw new ParseFailure('unterminated double quote');
  }

  /** Reads `$NAME`, `${…}`, `$(…)`, `$((…))` or a lone `$`; returns its text as written. */
  private readDollar(depth: number, nested: ShellCommand[]): string {
    const src = this.src;
    const start = this.pos;
    const next = src[this.pos + 1];
    if (next === '(') {
      if (src[this.pos + 2] === '(') {
        this.pos += 2;
        this.skipBalanced(')');
        if (src[this.pos] === ')') this.pos++;
      } else {
        this.pos += 2;
        this.parseNested(depth, ')', nested);
      }
    } else if (next === '{') {
      const end = src.indexOf('}', this.pos + 2);
      if (end < 0) throw new ParseFailure('unterminated ${ … }');
      this.pos = end + 1;
    } else {
      this.pos++;
      const name = /^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])/.exec(src.slice(this.pos, this.pos + 256));
      if (name) this.pos += name[0].length;
    }
    return src.slice(start, this.pos);
  }
}

/** hadolint's getAllFlags: `--` and `-` are no flags; `--name=v` is `name`; `-abc` is a, b, c. */
export function flagsOf(args: string[]): { name: string; at: number }[] {
  const flags: { name: string; at: number }[] = [];
  args.forEach((arg, at) => {
    if (arg === '--' || arg === '-') return;
    if (arg.startsWith('--')) flags.push({ name: arg.slice(2).split('=', 1)[0] ?? '', at });
    else if (arg.startsWith('-')) for (const ch of arg.slice(1)) flags.push({ name: ch, at });
  });
  return flags;
}

/** The commands of an exec-form `RUN ["prog", "arg"]`: one command, its words as given. */
export function execFormShell(words: string[]): ParsedShell {
  const [name, ...args] = words;
  const commands = name === undefined ? [] : [{ name, args, flags: flagsOf(args) }];
  return { original: words.join(' '), commands, hasPipes: false };
}
