import type { Node as YamlNode } from 'yaml';
import type { SourcePos } from './diagnostics';
import type { Priority } from './priority';

/**
 * The collector of the rules loader (Falco's rule_loader_collector): the lists, macros and rules
 * read so far, in definition order, and what `append` / `override` do to them. It knows nothing of
 * YAML syntax (the reader) nor of conditions (the compiler).
 */

export interface ExceptionInfo {
  name: string;
  fields?: string | string[];
  comps?: string | string[];
  values: unknown[];
}

export interface ListInfo {
  name: string;
  items: string[];
  pos: SourcePos;
}

export interface MacroInfo {
  name: string;
  condition: string;
  pos: SourcePos;
  condPos: SourcePos;
}

export interface RuleInfo {
  name: string;
  desc: string;
  condition: string;
  output: string;
  priority: Priority;
  source: string;
  enabled: boolean;
  tags: string[];
  exceptions: ExceptionInfo[];
  warnEvttypes: boolean;
  skipIfUnknownFilter: boolean;
  pos: SourcePos;
  condPos: SourcePos;
  outputPos: SourcePos;
}

/** A problem with one item of a rules file; `node` is where it is (default: the whole item). */
export class ItemError extends Error {
  constructor(
    message: string,
    readonly node?: YamlNode | null,
  ) {
    super(message);
  }
}

/** Ordered collection with in-place replacement: a redefinition keeps the original position. */
export class Ordered<T extends { name: string }> {
  readonly items: T[] = [];
  private readonly index = new Map<string, number>();
  get(name: string): T | undefined {
    const i = this.index.get(name);
    return i === undefined ? undefined : this.items[i];
  }
  indexOf(name: string): number {
    return this.index.get(name) ?? -1;
  }
  set(item: T): void {
    const i = this.index.get(item.name);
    if (i === undefined) {
      this.index.set(item.name, this.items.length);
      this.items.push(item);
    } else this.items[i] = item;
  }
}

export class RuleCollector {
  readonly lists = new Ordered<ListInfo>();
  readonly macros = new Ordered<MacroInfo>();
  readonly rules = new Ordered<RuleInfo>();

  /** Defines a list, or redefines it in place (`override` needs an existing one). */
  defineList(list: Omit<ListInfo, 'pos'>, pos: SourcePos, override: boolean): void {
    const existing = this.lists.get(list.name);
    if (override && !existing) throw new ItemError(`list ${list.name} has 'override' but no list by that name already exists`);
    this.lists.set({ ...list, pos: existing?.pos ?? pos });
  }

  appendToList(name: string, items: readonly string[]): void {
    const existing = this.lists.get(name);
    if (!existing) throw new ItemError(`list ${name} has 'append' but no list by that name already exists`);
    existing.items = [...existing.items, ...items];
  }

  /** Defines a macro, or redefines it in place (`override` needs an existing one). */
  defineMacro(macro: Omit<MacroInfo, 'pos'>, pos: SourcePos, override: boolean): void {
    const existing = this.macros.get(macro.name);
    if (override && !existing) throw new ItemError(`macro ${macro.name} has 'override' but no macro by that name already exists`);
    this.macros.set({ ...macro, pos: existing?.pos ?? pos });
  }

  appendToMacro(name: string, condition: string): void {
    const existing = this.macros.get(name);
    if (!existing) throw new ItemError(`macro ${name} has 'append' but no macro by that name already exists`);
    existing.condition = `${existing.condition} ${condition}`;
  }

  /** Defines a rule, or redefines it in place keeping its position. */
  defineRule(rule: Omit<RuleInfo, 'pos'>, pos: SourcePos): void {
    this.rules.set({ ...rule, pos: this.rules.get(rule.name)?.pos ?? pos });
  }

  /** The rule an `append` / `override` / `enabled`-only item changes; `what` says which form. */
  existingRule(name: string, what: string): RuleInfo {
    const existing = this.rules.get(name);
    if (!existing) throw new ItemError(`rule ${name} has ${what} but no rule by that name already exists`);
    return existing;
  }
}

/** `append` of exceptions: values of an existing exception are extended, new ones added. */
export function mergeExceptions(existing: ExceptionInfo[], added: ExceptionInfo[], node: YamlNode): ExceptionInfo[] {
  const out = existing.map((e) => ({ ...e, values: [...e.values] }));
  for (const a of added) {
    const match = out.find((e) => e.name === a.name);
    if (match) {
      if (a.fields !== undefined || a.comps !== undefined) throw new ItemError(`exception ${a.name}: an appended exception with an existing name may only add values`, node);
      match.values.push(...a.values);
    } else {
      if (a.fields === undefined) throw new ItemError(`exception ${a.name} is new and has no 'fields'`, node);
      out.push(a);
    }
  }
  return out;
}
