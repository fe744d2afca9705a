import { colorize, type Color } from '@bulkhead/plugin-sdk/cli';
import type { BenchmarkCheckResult, BenchmarkReport, BenchmarkStatus } from './model';

export interface TableOptions {
  /** List PASS results too (`--show-passed`); by default they are only counted in the summary. */
  showPassed?: boolean;
  /**
   * Terminal width to wrap the MESSAGE column to (a terminal's columns); undefined: no wrapping
   * (piped output keeps one line per result for grep and awk). Messages are never cut short.
   */
  width?: number;
  /** Colour the STATUS column (the CLI decides: a terminal, NO_COLOR, FORCE_COLOR). */
  color?: boolean;
  /**
   * What LOCATION says for a result read from no file (`image config (no file)`): given, the
   * column is always shown, so a reader is told there is no file:line rather than left to wonder.
   */
  unlocated?: string;
}

const STATUS_COLORS: Record<BenchmarkStatus, Color> = { FAIL: 'red', WARN: 'yellow', PASS: 'green', INFO: 'cyan', SKIP: 'dim' };

// Narrower than this, a wrapped message column would be harder to read than a long line.
const MIN_MESSAGE_WIDTH = 24;

/** A plain-text table for terminals: one row per result (PASS hidden unless asked), then a summary line. */
export function formatTable(report: BenchmarkReport, options: TableOptions = {}): string {
  const shown = options.showPassed ? report.results : report.results.filter((r) => r.status !== 'PASS');
  // LOCATION (`file:line`, the line of the offending field where the check names one) only when
  // some result comes from a file.
  const located = options.unlocated !== undefined || shown.some((r) => r.file);
  const header = ['STATUS', 'SEVERITY', 'CHECK', 'TARGET', ...(located ? ['LOCATION'] : []), 'MESSAGE'];
  const rows = shown.map((r) => [r.status, r.severity, r.checkId, r.target, ...(located ? [locationText(r, options.unlocated)] : []), oneLine(r.message)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const indent = widths.slice(0, -1).reduce((sum, w) => sum + w + 2, 0);
  const messageWidth = options.width !== undefined && options.width - indent >= MIN_MESSAGE_WIDTH ? options.width - indent : undefined;
  const line = (cells: string[], status?: BenchmarkStatus): string => {
    const last = cells[cells.length - 1] ?? '';
    // Padded before colouring: escape sequences take no columns on the screen.
    const lead = cells
      .slice(0, -1)
      .map((c, i) => (i === 0 && status && options.color ? colorize(c, STATUS_COLORS[status]) + ' '.repeat(Math.max(0, (widths[0] ?? 0) - c.length)) : c.padEnd(widths[i] ?? 0)) + '  ')
      .join('');
    const [first = '', ...rest] = messageWidth ? wrap(last, messageWidth) : [last];
    return [`${lead}${first}`.trimEnd(), ...rest.map((part) => ' '.repeat(indent) + part)].join('\n');
  };
  const s = report.summary;
  const out = [report.title, ''];
  if (rows.length === 0) out.push(report.results.length === 0 ? '(no results)' : '(no problems found)');
  else out.push(line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map((row, i) => line(row, shown[i]?.status)));
  const hidden = report.results.length - shown.length;
  out.push('', `${s.FAIL} failed, ${s.WARN} warnings, ${s.PASS} passed${hidden > 0 ? ' (not listed: --show-passed lists them)' : ''}, ${s.INFO} info, ${s.SKIP} skipped`);
  return out.join('\n') + '\n';
}

/** Splits text into lines of at most `width` characters at spaces (a longer word gets a line of its own, whole). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  lines.push(current);
  return lines;
}

function locationText(r: BenchmarkCheckResult, unlocated = ''): string {
  if (r.file) return r.line ? `${r.file}:${r.line}` : r.file;
  // Image checks about a file inside the image (Dockle's `filename`) name it; `metadata` is the config.
  const inImage = r.data?.['filename'];
  if (typeof inImage === 'string' && /^[^\s]+$/.test(inImage) && inImage !== 'metadata') return `/${inImage.replace(/^\/+/, '')} (in the image)`;
  return unlocated;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
