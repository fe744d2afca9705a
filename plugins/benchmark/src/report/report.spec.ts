import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchmarkReport, type BenchmarkCheckResult } from './model';
import { formatReport, formatTable, toFindings, toSarif } from './index';

const base = { title: 'T', severity: 'HIGH', target: 'Pod/ns/a', benchmark: 'b' } as const;
const RESULTS: BenchmarkCheckResult[] = [
  { ...base, checkId: '1.1', status: 'FAIL', message: 'bad <thing> & "quotes"', remediation: 'fix it', file: 'dir/a b.yaml', line: 3 },
  { ...base, checkId: '1.2', status: 'WARN', severity: 'LOW', message: 'hmm' },
  { ...base, checkId: '1.3', status: 'PASS', severity: 'INFO', message: 'ok' },
  { ...base, checkId: '1.4', status: 'INFO', severity: 'INFO', message: 'fyi' },
  { ...base, checkId: '1.5', status: 'SKIP', severity: 'INFO', message: 'n/a\u0001' },
];
const report = benchmarkReport('Report', RESULTS);

describe('report formats', () => {
  it('summarises by status', () => {
    expect(report.summary).toEqual({ PASS: 1, FAIL: 1, WARN: 1, INFO: 1, SKIP: 1 });
  });

  it('maps statuses to SARIF kinds and levels (level other than none only for kind fail)', () => {
    const sarif = toSarif(report);
    expect(sarif.version).toBe('2.1.0');
    const [run] = sarif.runs;
    expect(run?.tool.driver.rules?.map((r) => r.id)).toEqual(['1.1', '1.2', '1.3', '1.4', '1.5']);
    expect(run?.results?.map((r) => [r.ruleId, r.kind, r.level])).toEqual([
      ['1.1', 'fail', 'error'],
      ['1.2', 'fail', 'warning'],
      ['1.3', 'pass', 'none'],
      ['1.4', 'informational', 'none'],
      ['1.5', 'notApplicable', 'none'],
    ]);
    expect(run?.results?.[0]?.locations).toEqual([
      { logicalLocations: [{ fullyQualifiedName: 'Pod/ns/a', kind: 'resource' }], physicalLocation: { artifactLocation: { uri: 'dir/a%20b.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 3 } } },
    ]);
    expect(run?.originalUriBaseIds).toEqual({ '%SRCROOT%': { uri: pathToFileURL(process.cwd()).href.replace(/\/?$/, '/') } });
  });

  it('gives SARIF locations relative to %SRCROOT% under it and absolute file URIs outside it', () => {
    const root = path.join(tmpdir(), 'project');
    const at = (file: string) => ({ ...report.results[0], file }) as (typeof report.results)[number];
    const located = benchmarkReport('Report', [at(path.join(root, 'k8s', 'a#1.yaml')), at('rel/b.yaml'), at('/elsewhere/c.yaml'), at('<stdin>')]);
    const run = toSarif(located, { srcRoot: root }).runs[0];
    expect(run?.results?.map((r) => r.locations?.[0]?.physicalLocation?.artifactLocation)).toEqual([
      { uri: 'k8s/a%231.yaml', uriBaseId: '%SRCROOT%' },
      { uri: 'rel/b.yaml', uriBaseId: '%SRCROOT%' },
      { uri: 'file:///elsewhere/c.yaml' },
      { uri: '%3Cstdin%3E' },
    ]);
    expect(run?.originalUriBaseIds).toEqual({ '%SRCROOT%': { uri: `file://${root}/` } });
    // Only declared when a location uses it.
    expect(toSarif(benchmarkReport('Report', [at('/elsewhere/c.yaml')]), { srcRoot: root }).runs[0]?.originalUriBaseIds).toBeUndefined();
  });

  it('escapes JUnit XML and counts failures and skips', () => {
    const xml = formatReport(report, 'junit');
    expect(xml).toContain('<testsuites name="Report" tests="5" failures="1" errors="0" skipped="1">');
    expect(xml).toContain('<failure message="bad &lt;thing&gt; &amp; &quot;quotes&quot;" type="HIGH">bad &lt;thing&gt; &amp; "quotes"\nRemediation: fix it</failure>');
    expect(xml).toContain('<skipped message="n/a"/>');
    expect(xml).not.toContain('\u0001');
  });

  it('renders a table with a summary line', () => {
    const table = formatReport(report, 'table');
    expect(table.split('\n')[2]).toMatch(/^STATUS\s+SEVERITY\s+CHECK\s+TARGET\s+LOCATION\s+MESSAGE$/);
    expect(table).toContain('dir/a b.yaml:3');
    expect(table).toContain('1 failed, 1 warnings, 1 passed (not listed: --show-passed lists them), 1 info, 1 skipped');
    expect(table).not.toMatch(/^PASS/m);
    expect(formatTable(report, { showPassed: true })).toMatch(/^PASS +INFO +1\.3 .* ok$/m);
  });

  it('colours statuses only when asked, keeping the columns aligned', () => {
    expect(formatTable(report)).not.toContain('\u001b[');
    const coloured = formatTable(report, { color: true });
    expect(coloured).toContain('\u001b[31mFAIL\u001b[0m');
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(/\u001b\[\d+m/g, '')).toBe(formatTable(report));
  });

  it('never cuts a message; wraps it at spaces to a terminal width, under its column', () => {
    const long = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    const one = benchmarkReport('R', [{ ...base, checkId: 'X', status: 'FAIL', message: long }]);
    expect(formatTable(one)).toContain(long);
    const lines = formatTable(one, { width: 60 }).split('\n').filter((l) => /word/.test(l));
    expect(lines.length).toBeGreaterThan(1);
    const column = lines[0]?.indexOf('word0') ?? -1;
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(60);
    for (const l of lines.slice(1)) expect(l.slice(0, column).trim()).toBe('');
    expect(lines.map((l) => l.slice(column)).join(' ')).toBe(long);
  });

  it('turns only FAIL and WARN into findings', () => {
    expect(toFindings(RESULTS).map((f) => [f.kind, f.ruleId, f.severity, f.location])).toEqual([
      ['benchmark', '1.1', 'HIGH', 'b:dir/a b.yaml'],
      ['benchmark', '1.2', 'LOW', 'b'],
    ]);
  });
});
