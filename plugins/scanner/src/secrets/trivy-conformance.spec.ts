import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { parseSecretConfig } from './config';
import { SecretScanner, type SecretMatch } from './scanner';

/*
 * Every secret-scanner case of Trivy's test suite (pkg/fanal/secret/testdata, *.expected.json
 * and TestSecretScannerWithStreaming.cases.json) must give Trivy's findings: rule, category,
 * title, severity, lines, redacted match and byte offset. Trivy's `Code` (the lines around the
 * finding) is not compared: we never output it.
 */

interface TrivyFinding {
  RuleID: string;
  Category: string;
  Title: string;
  Severity: string;
  StartLine: number;
  EndLine: number;
  Match: string;
  Offset?: number;
}

interface ScannerCase {
  name: string;
  inputs: { configPath?: string; inputFilePath: string };
  expected: { want: { FilePath?: string; Findings?: TrivyFinding[] | null } };
}

interface StreamingCase {
  name: string;
  input: string;
  bufferSize: number;
  overlapSize: number;
  configPath?: string;
  want: { FilePath?: string; Findings?: TrivyFinding[] | null };
}

function comparable(findings: readonly SecretMatch[]): Record<string, unknown>[] {
  return findings
    .map((f) => ({ RuleID: f.ruleId, Category: f.category, Title: f.title, Severity: f.severity, StartLine: f.startLine, EndLine: f.endLine, Match: f.match, Offset: f.offset }))
    .sort(order);
}

function expectedOf(findings: readonly TrivyFinding[] | null | undefined): Record<string, unknown>[] {
  return (findings ?? [])
    .map((f) => ({ RuleID: f.RuleID, Category: f.Category, Title: f.Title, Severity: f.Severity, StartLine: f.StartLine, EndLine: f.EndLine, Match: f.Match, Offset: f.Offset ?? 0 }))
    .sort(order);
}

// Trivy sorts with an unstable sort by rule and match; compare as sets in a total order.
function order(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const key = (f: Record<string, unknown>): string => `${String(f['RuleID'])}\u0000${String(f['Match'])}\u0000${String(f['StartLine']).padStart(8, '0')}\u0000${String(f['Offset']).padStart(10, '0')}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

describeWithShared('secret scanner against Trivy test data', (shared) => {
  const root = path.join(shared, 'peers/trivy/pkg/fanal/secret');
  const dir = path.join(root, 'testdata');
  const scannerFor = (configPath: string | undefined, sizes: { bufferSize?: number; overlapSize?: number } = {}): SecretScanner => {
    if (!configPath) return new SecretScanner(sizes);
    const file = path.join(root, configPath);
    return new SecretScanner({ ...sizes, config: parseSecretConfig(readFileSync(file, 'utf8'), configPath) });
  };

  const cases = readdirSync(dir)
    .filter((name) => name.endsWith('.expected.json'))
    .flatMap((name) => (JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as { cases: ScannerCase[] }).cases.map((c) => ({ file: name, ...c })));

  it('has the cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  it.each(cases.map((c) => [`${c.file}: ${c.name}`, c] as const))('%s', (_label, c) => {
    const scanner = scannerFor(c.inputs.configPath);
    const content = readFileSync(path.join(root, c.inputs.inputFilePath));
    expect(comparable(scanner.scan(c.inputs.inputFilePath, content))).toEqual(expectedOf(c.expected.want.Findings));
  });

  const streaming = (JSON.parse(readFileSync(path.join(dir, 'TestSecretScannerWithStreaming.cases.json'), 'utf8')) as { cases: StreamingCase[] }).cases;
  it.each(streaming.map((c) => [c.name, c] as const))('streaming: %s', (_label, c) => {
    const scanner = scannerFor(c.configPath, { bufferSize: c.bufferSize, overlapSize: c.overlapSize });
    expect(comparable(scanner.scan(c.want.FilePath ?? 'test.txt', Buffer.from(c.input)))).toEqual(expectedOf(c.want.Findings));
  });

  it('integration golden: secrets.json.golden over fixtures/repo/secrets with its trivy-secret.yaml', () => {
    const data = path.join(shared, 'peers/trivy/integration/testdata');
    const fixture = path.join(data, 'fixtures/repo/secrets');
    const configName = 'trivy-secret.yaml';
    const scanner = new SecretScanner({ config: parseSecretConfig(readFileSync(path.join(fixture, configName), 'utf8'), configName) });
    const golden = JSON.parse(readFileSync(path.join(data, 'secrets.json.golden'), 'utf8')) as { Results: { Target: string; Secrets?: TrivyFinding[] }[] };
    const found = new Map<string, SecretMatch[]>();
    for (const name of readdirSync(fixture)) {
      // Trivy skips its own secret config file; the fixture copy names deploy.sh `deploy.sh.txt`.
      if (name === configName) continue;
      const matches = scanner.scan(name, readFileSync(path.join(fixture, name)));
      if (matches.length > 0) found.set(name.replace(/\.txt$/, ''), matches);
    }
    expect([...found.keys()].sort()).toEqual(golden.Results.map((r) => r.Target).sort());
    for (const result of golden.Results) expect(comparable(found.get(result.Target) ?? [])).toEqual(expectedOf(result.Secrets));
  });
});
