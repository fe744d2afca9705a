import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXIT_CODES } from './cli-error';
import { expiredRulesNotice, ignoreRuleMatches, loadIgnoreFile, parseIgnoreFile, rulesInForce } from './ignore-file';

describe('ignore files', () => {
  const text = [
    '# Accepted until the base image moves: no fix upstream.',
    'CVE-2023-4911 exp:2027-03-31',
    '',
    'DL3008 docker/Dockerfile.dev   # dev image: unpinned on purpose',
    'KSV014 Deployment/payments/* Deployment/web/api',
    'GHSA-old exp:2020-01-01',
  ].join('\n');

  it('reads ids, targets, expiry and the reason from a trailing or preceding comment', () => {
    expect(parseIgnoreFile(text, '.bulkheadignore')).toEqual([
      { id: 'CVE-2023-4911', targets: [], expires: '2027-03-31', reason: 'Accepted until the base image moves: no fix upstream.', where: '.bulkheadignore:2' },
      { id: 'DL3008', targets: ['docker/Dockerfile.dev'], reason: 'dev image: unpinned on purpose', where: '.bulkheadignore:4' },
      { id: 'KSV014', targets: ['Deployment/payments/*', 'Deployment/web/api'], where: '.bulkheadignore:5' },
      { id: 'GHSA-old', targets: [], expires: '2020-01-01', where: '.bulkheadignore:6' },
    ]);
  });

  it("reads Trivy's .trivyignore form unchanged (ids, comments, exp:)", () => {
    expect(parseIgnoreFile('# comment\nCVE-2019-14697\nCVE-2018-14618 exp:2100-01-01\n', '.trivyignore').map((r) => r.id)).toEqual(['CVE-2019-14697', 'CVE-2018-14618']);
  });

  it('refuses a malformed expiry with the file and line, as a usage error', () => {
    expect(() => parseIgnoreFile('CVE-1 exp:tomorrow\n', 'x.ignore')).toThrow(expect.objectContaining({ message: 'x.ignore:1: exp:tomorrow is not a date (expected exp:YYYY-MM-DD)', exitCode: EXIT_CODES.usage }));
    expect(() => parseIgnoreFile('CVE-1 exp:2024-13-45\n', 'x.ignore')).toThrow('x.ignore:1: exp:2024-13-45 is not a date');
  });

  it('applies rules until their expiry day included, and names expired ones', () => {
    const rules = parseIgnoreFile(text, '.bulkheadignore');
    const { active, expired } = rulesInForce(rules, new Date('2027-03-31T23:00:00Z'));
    expect(active.map((r) => r.id)).toEqual(['CVE-2023-4911', 'DL3008', 'KSV014']);
    expect(expiredRulesNotice(expired)).toBe('ignore rules past their expiry, no longer applied: GHSA-old (.bulkheadignore:6, exp:2020-01-01)');
    expect(rulesInForce(rules, new Date('2027-04-01T00:00:00Z')).active.map((r) => r.id)).toEqual(['DL3008', 'KSV014']);
    expect(expiredRulesNotice([])).toBeUndefined();
  });

  it('matches by any id of a result (case-insensitive) and by exact or wildcard targets', () => {
    const [cve, dl, ksv] = parseIgnoreFile(text, '.bulkheadignore');
    expect(cve && ignoreRuleMatches(cve, { ids: ['cve-2023-4911'], targets: ['pkg:deb/debian/glibc'] })).toBe(true);
    expect(dl && ignoreRuleMatches(dl, { ids: ['DL3008'], targets: ['docker/Dockerfile.dev'] })).toBe(true);
    expect(dl && ignoreRuleMatches(dl, { ids: ['DL3008'], targets: ['docker/Dockerfile'] })).toBe(false);
    expect(ksv && ignoreRuleMatches(ksv, { ids: ['runAsNonRoot', 'KSV014'], targets: ['Deployment/payments/ledger'] })).toBe(true);
    expect(ksv && ignoreRuleMatches(ksv, { ids: ['KSV014'], targets: ['Deployment/paymentsX'] })).toBe(false);
    expect(ksv && ignoreRuleMatches(ksv, { ids: ['KSV015'], targets: ['Deployment/web/api'] })).toBe(false);
    // Regex characters in targets are literal.
    expect(ignoreRuleMatches({ id: 'X', targets: ['a.b(c)*'], where: 'f:1' }, { ids: ['X'], targets: ['a.b(c)-d'] })).toBe(true);
    expect(ignoreRuleMatches({ id: 'X', targets: ['a.b'], where: 'f:1' }, { ids: ['X'], targets: ['axb'] })).toBe(false);
  });

  it('loads the default file from the working folder when present, and requires an explicit one to exist', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bh-ignore-'));
    expect(await loadIgnoreFile(undefined, dir)).toEqual({ rules: [] });
    await writeFile(path.join(dir, '.bulkheadignore'), 'CVE-1\n');
    expect((await loadIgnoreFile(undefined, dir)).rules.map((r) => r.id)).toEqual(['CVE-1']);
    await expect(loadIgnoreFile(path.join(dir, 'missing'), dir)).rejects.toMatchObject({ message: `ignore file ${path.join(dir, 'missing')}: no such file`, exitCode: EXIT_CODES.usage });
  });
});
