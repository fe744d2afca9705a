import { runtimeApiConfig } from './config';

describe('runtime API configuration', () => {
  it('defaults to no rules and no outputs', () => {
    expect(runtimeApiConfig.parse({})).toEqual({
      BULKHEAD_RUNTIME_RULES: [],
      BULKHEAD_ALERT_WEBHOOK_URL: undefined,
      BULKHEAD_ALERT_FILE: undefined,
      BULKHEAD_ALERT_STDOUT: false,
      BULKHEAD_MAX_FINDINGS_PER_REQUEST: 1000,
      BULKHEAD_ALERT_RETENTION_DAYS: undefined,
    });
  });

  it('reads comma-separated rules files in order, a trimmed file path, a flag and a webhook URL', () => {
    const config = runtimeApiConfig.parse({
      BULKHEAD_RUNTIME_RULES: ' /etc/falco/falco_rules.yaml, ,/etc/falco/k8s_audit_rules.yaml ',
      BULKHEAD_ALERT_FILE: ' /var/log/alerts.jsonl ',
      BULKHEAD_ALERT_STDOUT: 'yes',
      BULKHEAD_ALERT_WEBHOOK_URL: 'http://falcosidekick:2801/',
    });
    expect(config).toEqual({
      BULKHEAD_RUNTIME_RULES: ['/etc/falco/falco_rules.yaml', '/etc/falco/k8s_audit_rules.yaml'],
      BULKHEAD_ALERT_FILE: '/var/log/alerts.jsonl',
      BULKHEAD_ALERT_STDOUT: true,
      BULKHEAD_ALERT_WEBHOOK_URL: 'http://falcosidekick:2801/',
      BULKHEAD_MAX_FINDINGS_PER_REQUEST: 1000,
      BULKHEAD_ALERT_RETENTION_DAYS: undefined,
    });
    expect(runtimeApiConfig.parse({ BULKHEAD_ALERT_WEBHOOK_URL: '  ', BULKHEAD_ALERT_FILE: '' })).toMatchObject({ BULKHEAD_ALERT_WEBHOOK_URL: undefined, BULKHEAD_ALERT_FILE: undefined });
  });

  it('names the variable of a bad value', () => {
    const webhook = runtimeApiConfig.safeParse({ BULKHEAD_ALERT_WEBHOOK_URL: 'ftp://example.org/' });
    expect(webhook.success).toBe(false);
    expect(webhook.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['BULKHEAD_ALERT_WEBHOOK_URL', 'must be an http: or https: URL']]);
    const flag = runtimeApiConfig.safeParse({ BULKHEAD_ALERT_STDOUT: 'maybe' });
    expect(flag.error?.issues[0]?.path).toEqual(['BULKHEAD_ALERT_STDOUT']);
  });

  it('reads the per-request alert bound and the retention in whole days', () => {
    expect(runtimeApiConfig.parse({ BULKHEAD_MAX_FINDINGS_PER_REQUEST: ' 50 ', BULKHEAD_ALERT_RETENTION_DAYS: '30' })).toMatchObject({
      BULKHEAD_MAX_FINDINGS_PER_REQUEST: 50,
      BULKHEAD_ALERT_RETENTION_DAYS: 30,
    });
    for (const bad of [{ BULKHEAD_ALERT_RETENTION_DAYS: '0' }, { BULKHEAD_ALERT_RETENTION_DAYS: '7d' }, { BULKHEAD_MAX_FINDINGS_PER_REQUEST: '-1' }]) {
      const result = runtimeApiConfig.safeParse(bad);
      expect(result.error?.issues[0]?.path).toEqual(Object.keys(bad));
    }
  });
});
