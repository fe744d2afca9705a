import { BadInputError } from '@bulkhead/plugin-sdk';
import { MAX_POLICY_BYTES, parsePromotionPolicy, severityRank } from './policy';

describe('promotion policy files', () => {
  it('reads YAML and JSON, filling defaults', () => {
    const yaml = parsePromotionPolicy('maxSeverity: HIGH\nbenchmark:\n  maxFailures: 2\n  allowedRules: [CIS-DI-0001]\nrequiredSigners: [ci@example.com]\n', 'p.yaml');
    expect(yaml).toEqual({ maxSeverity: 'HIGH', allowSecrets: false, ignoreUnfixed: false, benchmark: { maxFailures: 2, allowedRules: ['CIS-DI-0001'] }, requiredSigners: ['ci@example.com'] });
    expect(parsePromotionPolicy('{"maxSeverity": "LOW", "allowSecrets": true}', 'p.json')).toMatchObject({ maxSeverity: 'LOW', allowSecrets: true });
  });

  it.each([
    ['a misspelt key', 'maxSeverty: HIGH\n', /p: \(top level\): unknown key\(s\) maxSeverty/],
    ['an unknown severity', 'maxSeverity: SEVERE\n', /p: maxSeverity: .*CRITICAL, HIGH, MEDIUM, LOW, INFO/],
    ['a negative failure count', 'benchmark: {maxFailures: -1}\n', /p: benchmark.maxFailures/],
    ['a misspelt nested key', 'benchmark: {maxFailure: 1}\n', /p: benchmark: unknown key\(s\) maxFailure/],
    ['a string for a boolean', 'allowSecrets: "no"\n', /p: allowSecrets/],
    ['no rule at all', '', /p: empty/],
    ['not a mapping', '- maxSeverity\n', /p: \(top level\)/],
    ['broken YAML', 'maxSeverity: [HIGH\n', /p: not YAML or JSON/],
    ['duplicate keys', 'maxSeverity: LOW\nmaxSeverity: CRITICAL\n', /p: not YAML or JSON/],
    ['an alias bomb', `a: &a [x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 60 }, (_, i) => `k${i}: [*a, *a]`).join('\n')}\n`, /p: not YAML or JSON/],
    ['an oversized file', `maxSeverity: LOW\n#${'x'.repeat(MAX_POLICY_BYTES)}`, /p: larger than/],
  ])('refuses %s with a message naming it', (_what, text, message) => {
    expect(() => parsePromotionPolicy(text, 'p')).toThrow(BadInputError);
    expect(() => parsePromotionPolicy(text, 'p')).toThrow(message);
  });

  it('ranks severities, UNKNOWN with INFO', () => {
    expect(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO', 'UNKNOWN'].map(severityRank)).toEqual([4, 3, 2, 1, 0, 0]);
  });
});
