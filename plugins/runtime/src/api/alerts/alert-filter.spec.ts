import type { FalcoAlert } from '../../alerts/alert';
import { normaliseAlertTime } from '../../alerts/alert';
import { alertCriteria, alertFindingFilter, alertTimeText, matchesAlert, prioritiesFrom } from './alert-filter';

const alert: FalcoAlert = {
  hostname: 'node-1',
  output: 'x',
  output_fields: { 'container.image.repository': 'docker.io/library/nginx', 'container.image': 'nginx:1.25', 'k8s.ns.name': 'shop' },
  priority: 'Warning',
  rule: 'Shell in container',
  source: 'syscall',
  tags: [],
  time: '2024-05-02T10:20:05.408091526Z',
};

describe('alert filters', () => {
  it('reads priority as a minimum in Falco order', () => {
    expect(prioritiesFrom('Emergency')).toEqual(['Emergency']);
    expect(prioritiesFrom('Warning')).toEqual(['Emergency', 'Alert', 'Critical', 'Error', 'Warning']);
    expect(matchesAlert(alertCriteria({ priority: 'Warning' }), alert)).toBe(true);
    expect(matchesAlert(alertCriteria({ priority: 'Error' }), alert)).toBe(false);
  });

  it('matches the image by repository or full reference, and the namespace of syscall or audit alerts', () => {
    expect(matchesAlert(alertCriteria({ image: 'docker.io/library/nginx' }), alert)).toBe(true);
    expect(matchesAlert(alertCriteria({ image: 'nginx:1.25' }), alert)).toBe(true);
    expect(matchesAlert(alertCriteria({ image: 'nginx' }), alert)).toBe(false);
    expect(matchesAlert(alertCriteria({ namespace: 'shop' }), alert)).toBe(true);
    const audit = { ...alert, output_fields: { 'ka.target.namespace': 'kube-system' } };
    expect(matchesAlert(alertCriteria({ namespace: 'kube-system' }), audit)).toBe(true);
    expect(matchesAlert(alertCriteria({ namespace: 'shop' }), audit)).toBe(false);
  });

  it('matches the pod of syscall alerts exactly, and not the object name of audit alerts', () => {
    const inPod = { ...alert, output_fields: { ...alert.output_fields, 'k8s.pod.name': 'web-7d9f' } };
    expect(matchesAlert(alertCriteria({ pod: 'web-7d9f' }), inPod)).toBe(true);
    expect(matchesAlert(alertCriteria({ pod: 'web' }), inPod)).toBe(false);
    expect(matchesAlert(alertCriteria({ pod: 'web-7d9f', namespace: 'shop' }), inPod)).toBe(true);
    expect(matchesAlert(alertCriteria({ pod: 'web-7d9f', namespace: 'other' }), inPod)).toBe(false);
    expect(matchesAlert(alertCriteria({ pod: 'web-7d9f' }), alert)).toBe(false);
    const audit = { ...alert, output_fields: { 'ka.target.resource': 'pods', 'ka.target.name': 'web-7d9f' } };
    expect(matchesAlert(alertCriteria({ pod: 'web-7d9f' }), audit)).toBe(false);
  });

  it('refuses a namespace or pod longer than a Kubernetes name, and NUL in any name, naming the field', () => {
    expect(alertCriteria({ pod: 'p'.repeat(253) })).toEqual({ pod: 'p'.repeat(253) });
    for (const field of ['pod', 'namespace'] as const) {
      expect(() => alertCriteria({ [field]: 'p'.repeat(254) })).toThrow(`filter.${field} is longer than 253 characters`);
    }
    for (const field of ['pod', 'namespace', 'rule', 'image'] as const) {
      try {
        alertCriteria({ [field]: 'a\u0000b' });
        throw new Error(`accepted NUL in ${field}`);
      } catch (error) {
        expect(error).toMatchObject({ message: `filter.${field} contains a NUL character (\\u0000)`, extensions: { code: 'BAD_USER_INPUT', field: `filter.${field}` } });
      }
    }
  });

  it('compares times as instants: from inclusive, to exclusive, at nanosecond precision', () => {
    expect(alertTimeText(new Date('2024-05-02T10:20:05.408Z'))).toBe('2024-05-02T10:20:05.408000000Z');
    expect(matchesAlert(alertCriteria({ from: new Date('2024-05-02T10:20:05.408Z') }), alert)).toBe(true);
    expect(matchesAlert(alertCriteria({ from: new Date('2024-05-02T10:20:05.409Z') }), alert)).toBe(false);
    expect(matchesAlert(alertCriteria({ to: new Date('2024-05-02T10:20:05.409Z') }), alert)).toBe(true);
    expect(matchesAlert(alertCriteria({ to: new Date('2024-05-02T10:20:05.408Z') }), alert)).toBe(false);
    expect(matchesAlert(alertCriteria({ rule: 'Shell in container', from: new Date(0), to: new Date('2100-01-01') }), alert)).toBe(true);
  });

  it('rejects a time range that ends before it starts, and an invalid date, as bad user input', () => {
    expect(() => alertCriteria({ from: new Date('2024-02-01'), to: new Date('2024-01-01') })).toThrow(/filter.from .* is after filter.to/);
    try {
      alertCriteria({ to: new Date('not a date') });
      throw new Error('accepted an invalid date');
    } catch (error) {
      expect(error).toMatchObject({ message: 'filter.to is not a valid date-time', extensions: { code: 'BAD_USER_INPUT', field: 'filter.to' } });
    }
  });

  it('stores times in Falco form whatever offset or precision the sensor used', () => {
    expect(normaliseAlertTime({ ...alert, time: '2024-05-02T12:20:05.4+02:00' }).time).toBe('2024-05-02T10:20:05.400000000Z');
    expect(normaliseAlertTime(alert)).toBe(alert);
  });
});

describe('alertFindingFilter', () => {
  it('asks the host for runtime findings only when no criteria are given', () => {
    expect(alertFindingFilter(alertCriteria(null))).toEqual({ kinds: ['runtime'] });
  });

  it('turns every criterion into a condition on the stored alert, with the namespace of syscall or audit alerts', () => {
    const criteria = alertCriteria({ rule: 'Shell in container', priority: 'Critical', image: 'nginx', namespace: 'shop', pod: 'web-1', from: new Date('2024-05-02T10:00:00Z'), to: new Date('2024-05-02T11:00:00Z') });
    expect(alertFindingFilter(criteria)).toEqual({
      kinds: ['runtime'],
      ruleIds: ['Shell in container'],
      data: [
        { path: ['priority'], oneOf: ['Emergency', 'Alert', 'Critical'] },
        { anyOf: [{ path: ['output_fields', 'container.image.repository'], equals: 'nginx' }, { path: ['output_fields', 'container.image'], equals: 'nginx' }] },
        { path: ['output_fields', 'k8s.ns.name'], fallbackPaths: [['output_fields', 'ka.target.namespace']], equals: 'shop' },
        { path: ['output_fields', 'k8s.pod.name'], equals: 'web-1' },
        { path: ['time'], gte: '2024-05-02T10:00:00.000000000Z', lt: '2024-05-02T11:00:00.000000000Z' },
      ],
    });
  });
});
