import { looksBinary, secretScanWantsPath } from './file-filter';
import { BUILTIN_RULES } from './builtin-rules';
import { parseSecretConfig } from './config';
import { SecretScanner } from './scanner';

const GITHUB_PAT = ['ghp', '_', 'Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8'].join('');

describe('secret scanner', () => {
  const scanner = new SecretScanner();

  it('compiles every built-in rule and gives each a Trivy severity', () => {
    expect(scanner.rules).toHaveLength(BUILTIN_RULES.length);
    expect(new Set(scanner.rules.map((r) => r.id)).size).toBe(scanner.rules.length);
    expect(scanner.rules.every((r) => ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'].includes(r.severity))).toBe(true);
    expect(scanner.rules.find((r) => r.id === 'ionic-api-token')?.severity).toBe('UNKNOWN');
  });

  it('finds keywords that overlap or hide inside longer ones (case-insensitively, as Trivy)', () => {
    const rule = (id: string, keyword: string): string => `  - {id: ${id}, category: c, title: t, severity: low, regex: '${keyword}', keywords: ['${keyword}']}`;
    const config = parseSecretConfig(['enable-builtin-rules: [none]', 'rules:', rule('prefix', 'ab'), rule('whole', 'ab-cd'), rule('overlap', 'cd-ef'), rule('absent', 'zz')].join('\n'), 'inline');
    const custom = new SecretScanner({ config });
    // One search must report ab (a prefix of ab-cd at the same place) and cd-ef (overlapping ab-cd).
    expect(custom.scan('f.txt', Buffer.from('xx AB-CD-EF ab-cd-ef')).map((m) => m.ruleId)).toEqual(['overlap', 'prefix', 'whole']);
  });

  it('finds a secret far into a large file, on the right line, across chunk boundaries', () => {
    const filler = `${'x'.repeat(99)}\n`.repeat(2000);
    const content = Buffer.from(`${filler}token=${GITHUB_PAT}\n${filler}`);
    expect(scanner.scan('big.txt', content).map((m) => [m.ruleId, m.startLine, m.offset])).toEqual([['github-pat', 2001, filler.length + 6]]);
  });

  it('stays fast on hostile content built to make backtracking engines explode', () => {
    const hostile = [
      `sv=2020-01-01${';a=x'.repeat(250_000)}`,
      `-----BEGIN PRIVATE KEY-----${' '.repeat(1_000_000)}`,
      `.dockercfg: ${'ey'.repeat(500_000)}`,
      `aws_secret_access_key = ${'A'.repeat(1_000_000)}`,
    ];
    const started = Date.now();
    for (const text of hostile) scanner.scan('hostile.txt', Buffer.from(text));
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reports config problems with the file and field', () => {
    expect(() => parseSecretConfig('rules:\n  - id: x\n', 'my.yaml')).toThrow('secret config my.yaml: rules[0] (x).regex: required');
    expect(() => parseSecretConfig('rules: 3', 'my.yaml')).toThrow('secret config my.yaml: rules: expected a list');
    expect(() => new SecretScanner({ config: parseSecretConfig('rules:\n  - id: bad\n    regex: "(a"\n', 'my.yaml') })).toThrow(/secret rule bad regex: .*missing closing \)/);
  });
});

describe('which files the secret scan reads', () => {
  it("follows Trivy's analyzer: size, lock files, dependency trees, binary extensions", () => {
    expect(secretScanWantsPath('etc/app.conf', 100)).toBe(true);
    expect(secretScanWantsPath('etc/app.conf', 9)).toBe(false);
    expect(secretScanWantsPath('srv/app/package-lock.json', 100)).toBe(false);
    expect(secretScanWantsPath('srv/app/node_modules/x/index.js', 100)).toBe(false);
    expect(secretScanWantsPath('srv/.git/config', 100)).toBe(false);
    expect(secretScanWantsPath('srv/app/logo.png', 100)).toBe(false);
    expect(secretScanWantsPath('srv/app/archive.tar.gz', 100)).toBe(false);
    expect(secretScanWantsPath('srv/node_modules.txt', 100)).toBe(true);
  });

  it("skips binaries by Trivy's control-byte test of the first 300 bytes", () => {
    expect(looksBinary(Buffer.from('#!/bin/sh\n\techo hi\r\n\x1b[0m'))).toBe(false);
    expect(looksBinary(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]))).toBe(true);
    expect(looksBinary(Buffer.concat([Buffer.alloc(300, 0x61), Buffer.from([0])]))).toBe(false);
    // UTF-8 text is text.
    expect(looksBinary(Buffer.from('clé=valeur ✓'))).toBe(false);
  });
});
