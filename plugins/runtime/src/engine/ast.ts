/** Abstract syntax of Falco filter conditions (falcosecurity/libs filter grammar). */

/** A field reference, possibly with an argument (`proc.aname[2]`) and transformers (`tolower(...)`). */
export interface FieldRef {
  name: string;
  arg?: string;
  /** Outermost last: `toupper(tolower(x))` is `['tolower', 'toupper']`. */
  transformers: string[];
  /** Offset of the field in the condition text. */
  pos: number;
}

export interface ValueItem {
  text: string;
  /** Quoted items are never expanded as list names. */
  quoted: boolean;
}

export type ValueNode =
  | { kind: 'value'; item: ValueItem }
  | { kind: 'list'; items: ValueItem[] }
  | { kind: 'field'; field: FieldRef };

export type CondNode =
  | { kind: 'and'; children: CondNode[] }
  | { kind: 'or'; children: CondNode[] }
  | { kind: 'not'; child: CondNode }
  | { kind: 'macro'; name: string; pos: number }
  | { kind: 'check'; field: FieldRef; op: string; value?: ValueNode; pos: number; /** Macro whose text `pos` refers to. */ origin?: string };

export const UNARY_OPERATORS = ['exists'] as const;
/** Longest first so that `<=` wins over `<` and `icontains` over `in`. */
export const BINARY_OPERATORS = [
  'bstartswith',
  'startswith',
  'intersects',
  'icontains',
  'bcontains',
  'contains',
  'endswith',
  'pmatch',
  'iglob',
  'glob',
  'regex',
  'in',
  '==',
  '!=',
  '<=',
  '>=',
  '=',
  '<',
  '>',
] as const;
export const LIST_OPERATORS = new Set(['in', 'intersects', 'pmatch']);
export const TRANSFORMERS = new Set(['tolower', 'toupper', 'b64', 'basename', 'len']);
