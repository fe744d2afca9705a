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
