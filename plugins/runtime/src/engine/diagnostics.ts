/** A problem found while loading rules, located in its file. Lines and columns are 1-based. */
export interface Diagnostic {
  severity: 'error' | 'warning' | 'info';
  file: string;
  line: number;
  col: number;
  message: string;
  /** `rule X`, `macro Y`, `list Z` when the problem belongs to one item. */
  item?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.item ? `${d.item}: ` : ''}${d.message}`;
}

/** Where a value sits in its file; `singleLine` values map condition offsets to exact columns. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
  singleLine: boolean;
}

/** Collects the diagnostics of one load, each reported once. */
export class DiagnosticSink {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];
  readonly infos: Diagnostic[] = [];
  private readonly reported = new Set<string>();

  report(severity: Diagnostic['severity'], pos: SourcePos, message: string, item?: string): void {
    const d: Diagnostic = { severity, file: pos.file, line: pos.line, col: pos.col, message, item };
    // A problem inside a macro surfaces once per rule using it: report it once.
    const key = JSON.stringify(d);
    if (this.reported.has(key)) return;
    this.reported.add(key);
    (severity === 'error' ? this.errors : severity === 'warning' ? this.warnings : this.infos).push(d);
  }
}

/** The position `offset` characters into a single-line value (other values: the value's start). */
export function offsetPos(pos: SourcePos, offset: number | undefined): SourcePos {
  if (offset === undefined || !pos.singleLine) return pos;
  return { ...pos, col: pos.col + offset };
}
