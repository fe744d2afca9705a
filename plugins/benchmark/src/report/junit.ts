import type { BenchmarkCheckResult, BenchmarkReport } from './model';

/**
 * JUnit XML as CI servers read it: one <testsuite> per target, one <testcase> per check.
 * FAIL is a <failure>, SKIP is <skipped/>; WARN, INFO and PASS pass and carry their message in
 * <system-out> (a warning must not break a build unless the caller asks for that).
 */
export function formatJunit(report: BenchmarkReport): string {
  const byTarget = new Map<string, BenchmarkCheckResult[]>();
  for (const r of report.results) {
    const list = byTarget.get(r.target) ?? [];
    list.push(r);
    byTarget.set(r.target, list);
  }
  const s = report.summary;
  const total = report.results.length;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="${attr(report.title)}" tests="${total}" failures="${s.FAIL}" errors="0" skipped="${s.SKIP}">`);
  for (const [target, results] of byTarget) {
    const failures = results.filter((r) => r.status === 'FAIL').length;
    const skipped = results.filter((r) => r.status === 'SKIP').length;
    out.push(`  <testsuite name="${attr(target)}" tests="${results.length}" failures="${failures}" errors="0" skipped="${skipped}">`);
    for (const r of results) {
      const name = attr(`${r.checkId} ${r.title}`);
      const open = `    <testcase classname="${attr(target)}" name="${name}"${r.file ? ` file="${attr(r.file)}"` : ''}`;
      if (r.status === 'FAIL') {
        const body = [r.message, r.remediation ? `Remediation: ${r.remediation}` : ''].filter(Boolean).join('\n');
        out.push(`${open}>`, `      <failure message="${attr(r.message)}" type="${attr(r.severity)}">${text(body)}</failure>`, '    </testcase>');
      } else if (r.status === 'SKIP') {
        out.push(`${open}>`, `      <skipped message="${attr(r.message)}"/>`, '    </testcase>');
      } else {
        out.push(`${open}>`, `      <system-out>${text(`${r.status}: ${r.message}`)}</system-out>`, '    </testcase>');
      }
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

/** XML 1.0 forbids most control characters even escaped (§2.2 Char); they are dropped. */
function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || code >= 0x10000;
}

function text(value: string): string {
  let clean = '';
  for (const ch of value) if (isXmlChar(ch.codePointAt(0) ?? 0)) clean += ch;
  return clean.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
}
