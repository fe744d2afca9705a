import { BINARY_OPERATORS, LIST_OPERATORS, TRANSFORMERS, type CondNode, type FieldRef, type ValueItem, type ValueNode } from './ast';

/** A syntax error in a condition, with the offset where parsing stopped. */
export class ConditionSyntaxError extends Error {
  override readonly name = 'ConditionSyntaxError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const WORD_OPERATORS = new Set(BINARY_OPERATORS.filter((op) => /^[a-z]/.test(op)));
const IDENT = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const FIELD_NAME = /[a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z0-9_]+)+/y;
const BARE = /[^\s()",']+/y;
const WORD_CHAR = /[a-zA-Z0-9_.]/;

/**
 * Recursive-descent parser for the Falco condition language, following the grammar of
 * falcosecurity/libs `libsinsp/filter/parser.h`:
 *   Expr ::= And ('or' And)* ; And ::= Not ('and' Not)* ; Not ::= 'not'* Check
 *   Check ::= '(' Expr ')' | Field UnaryOp | Field BinaryOp Value | Identifier (macro)
 * `and` binds tighter than `or`; mixing them without parentheses is accepted (newer libs).
 */
export function parseCondition(text: string): CondNode {
  const parser = new Parser(text);
  const node = parser.parseOr();
  parser.skipSpace();
  if (!parser.atEnd()) parser.fail(`unexpected '${parser.peekToken()}'`);
  return node;
}

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  fail(message: string): never {
    throw new ConditionSyntaxError(`${message} at position ${this.pos} of condition`, this.pos);
  }

  peekToken(): string {
    return this.text.slice(this.pos, this.pos + 20).split(/\s/)[0] ?? '';
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  /** Consumes a keyword (`and`, `or`, `not`, a word operator) only when followed by a non-word char. */
  private keyword(word: string): boolean {
    this.skipSpace();
    if (!this.text.startsWith(word, this.pos)) return false;
    const next = this.text[this.pos + word.length];
    if (next !== undefined && WORD_CHAR.test(next)) return false;
    this.pos += word.length;
    return true;
  }

  private char(c: string): boolean {
    this.skipSpace();
    if (this.text[this.pos] === c) {
      this.pos++;
      return true;
    }
    return false;
  }

  parseOr(): CondNode {
    const children = [this.parseAnd()];
    while (this.keyword('or')) children.push(this.parseAnd());
    return children.length === 1 ? children[0] : { kind: 'or', children };
  }

  private parseAnd(): CondNode {
    const children = [this.parseNot()];
    while (this.keyword('and')) children.push(this.parseNot());
    return children.length === 1 ? children[0] : { kind: 'and', children };
  }

  private parseNot(): CondNode {
    if (this.keyword('not')) return { kind: 'not', child: this.parseNot() };
    return this.parseCheck();
  }

  private parseCheck(): CondNode {
    this.skipSpace();
    if (this.atEnd()) this.fail('unexpected end of condition, expected a field, a macro or "("');
    if (this.char('(')) {
      const inner = this.parseOr();
      if (!this.char(')')) this.fail(`expected ')'`);
      return inner;
    }
    const start = this.pos;
    const field = this.tryFieldOrTransformer();
    if (field) return this.parseOperation(field, start);
    IDENT.lastIndex = this.pos;
    const ident = IDENT.exec(this.text);
    if (!ident) this.fail(`expected a field, a macro or "(" but found '${this.peekToken()}'`);
    const name = ident[0];
    if (name === 'and' || name === 'or') this.fail(`unexpected '${name}'`);
    this.pos += name.length;
    return { kind: 'macro', name, pos: start };
  }

  /** `fd.name`, `proc.aname[2]`, `tolower(proc.name)`; undefined when the text is not a field. */
  private tryFieldOrTransformer(): FieldRef | undefined {
    const save = this.pos;
    IDENT.lastIndex = this.pos;
    const ident = IDENT.exec(this.text);
    if (ident && TRANSFORMERS.has(ident[0])) {
      this.pos += ident[0].length;
      if (this.char('(')) {
        this.skipSpace();
        const inner = this.tryFieldOrTransformer();
        if (!inner) this.fail(`expected a field inside ${ident[0]}()`);
        if (!this.char(')')) this.fail(`expected ')' after ${ident[0]}(`);
        inner.transformers.push(ident[0]);
        return inner;
      }
      this.pos = save;
      return undefined;
    }
    FIELD_NAME.lastIndex = this.pos;
    const m = FIELD_NAME.exec(this.text);
    if (!m) return undefined;
    const pos = this.pos;
    this.pos += m[0].length;
    let arg: string | undefined;
    if (this.text[this.pos] === '[') {
      this.pos++;
      const q = this.text[this.pos];
      if (q === '"' || q === "'") {
        arg = this.quoted();
        if (this.text[this.pos] !== ']') this.fail(`expected ']' after the argument of ${m[0]}`);
      } else {
        const end = this.text.indexOf(']', this.pos);
        if (end < 0) this.fail(`unterminated argument of field ${m[0]}`);
        arg = this.text.slice(this.pos, end);
        this.pos = end;
      }
      this.pos++;
    }
    return { name: m[0], arg, transformers: [], pos };
  }

  private parseOperation(field: FieldRef, start: number): CondNode {
    if (this.keyword('exists')) return { kind: 'check', field, op: 'exists', pos: start };
    this.skipSpace();
    const op = BINARY_OPERATORS.find((candidate) =>
      WORD_OPERATORS.has(candidate) ? this.keyword(candidate) : this.text.startsWith(candidate, this.pos) && ((this.pos += candidate.length), true),
    );
    if (!op) this.fail(`expected an operator after field ${field.name} but found '${this.peekToken()}'`);
    const normalised = op === '==' ? '=' : op;
    this.skipSpace();
    let value: ValueNode;
    if (LIST_OPERATORS.has(normalised)) {
      if (this.text[this.pos] === '(') value = { kind: 'list', items: this.list() };
      else {
        // `in` against a single value or a right-hand field (newer libs accept both).
        const rhs = this.tryRhsField();
        value = rhs ? { kind: 'field', field: rhs } : { kind: 'list', items: [this.item()] };
      }
    } else {
      const rhs = this.tryRhsField();
      value = rhs ? { kind: 'field', field: rhs } : { kind: 'value', item: this.item() };
    }
    return { kind: 'check', field, op: normalised, value, pos: start };
  }

  /** `val(proc.pname)` or a transformer on a field, on the right-hand side. */
  private tryRhsField(): FieldRef | undefined {
    const save = this.pos;
    if (this.text.startsWith('val(', this.pos)) {
      this.pos += 4;
      this.skipSpace();
      const f = this.tryFieldOrTransformer();
      if (f && this.char(')')) return f;
      this.pos = save;
      return undefined;
    }
    IDENT.lastIndex = this.pos;
    const ident = IDENT.exec(this.text);
    if (ident && TRANSFORMERS.has(ident[0]) && this.text[this.pos + ident[0].length] === '(') {
      const f = this.tryFieldOrTransformer();
      if (f) return f;
    }
    this.pos = save;
    return undefined;
  }

  private list(): ValueItem[] {
    this.char('(');
    const items: ValueItem[] = [];
    if (this.char(')')) return items;
    for (;;) {
      items.push(this.item());
      if (this.char(',')) continue;
      if (this.char(')')) return items;
      this.fail(`expected ',' or ')' in list`);
    }
  }

  private item(): ValueItem {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '"' || c === "'") return { text: this.quoted(), quoted: true };
    BARE.lastIndex = this.pos;
    const m = BARE.exec(this.text);
    if (!m) this.fail(this.atEnd() ? 'unexpected end of condition, expected a value' : `expected a value but found '${this.peekToken()}'`);
    this.pos += m[0].length;
    return { text: m[0], quoted: false };
  }

  private quoted(): string {
    const quote = this.text[this.pos];
    const start = this.pos;
    this.pos++;
    let out = '';
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === '\\' && this.pos + 1 < this.text.length) {
        const n = this.text[this.pos + 1];
        // libs unescapes only the quote characters and the backslash itself.
        if (n === quote || n === '\\' || n === '"' || n === "'") {
          out += n;
          this.pos += 2;
          continue;
        }
        out += c;
        this.pos++;
        continue;
      }
      if (c === quote) {
        this.pos++;
        return out;
      }
      out += c;
      this.pos++;
    }
    this.pos = start;
    this.fail('unterminated quoted string');
  }
}
