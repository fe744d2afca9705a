import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { parseManifestText, type LoadedManifests } from '../k8s/load';
import { checkNetworkPolicies } from './netpol';

type Grade = 'OK' | 'WARNING' | 'CRITICAL';
const GRADE = { PASS: 'OK', WARN: 'WARNING', FAIL: 'CRITICAL' } as const;

// Expected grades from upstream score/networkpolicy_test.go (see ../shared/peers/kube-score/SOURCE.md);
// undefined = upstream does not test that check for the file.
const EXPECTED: Record<string, { pod?: Grade; policy?: Grade }> = {
  'networkpolicy-not-matching.yaml': { pod: 'CRITICAL' },
  'networkpolicy-matching.yaml': { pod: 'OK' },
  'networkpolicy-matching-only-ingress.yaml': { pod: 'WARNING' },
  'networkpolicy-matching-only-egress.yaml': { pod: 'WARNING' },
  'networkpolicy-targets-pod.yaml': { policy: 'OK' },
  'networkpolicy-targets-pod-deployment.yaml': { policy: 'OK' },
  'networkpolicy-targets-pod-not-matching.yaml': { policy: 'CRITICAL' },
  'networkpolicy-deployment-matching.yaml': { pod: 'OK', policy: 'OK' },
  'networkpolicy-statefulset-matching.yaml': { pod: 'OK', policy: 'OK' },
  'networkpolicy-cronjob-matching.yaml': { pod: 'OK', policy: 'OK' },
  'networkpolicy-deployment-not-matching-selector.yaml': { pod: 'CRITICAL', policy: 'CRITICAL' },
  'networkpolicy-statefulset-not-matching-selector.yaml': { pod: 'CRITICAL', policy: 'CRITICAL' },
  'networkpolicy-cronjob-not-matching-selector.yaml': { pod: 'CRITICAL', policy: 'CRITICAL' },
  'networkpolicy-targets-all-pods.yaml': { pod: 'OK', policy: 'OK' },
};

function load(file: string): LoadedManifests {
  const loaded: LoadedManifests = { objects: [], errors: [], files: [file] };
  parseManifestText(readFileSync(file, 'utf8'), file, loaded);
  return loaded;
}

describeWithShared('NetworkPolicy checks against kube-score fixtures', (shared) => {
  const dir = path.join(shared, 'peers', 'kube-score', 'score', 'testdata');
  it.each(Object.entries(EXPECTED))('%s', (name, expected) => {
    const loaded = load(path.join(dir, name));
    expect(loaded.errors).toEqual([]);
    const results = checkNetworkPolicies(loaded.objects);
    const grades = (id: string) => results.filter((r) => r.checkId === id).map((r) => GRADE[r.status as keyof typeof GRADE]);
    if (expected.pod) {
      expect(grades('pod-networkpolicy').length).toBeGreaterThan(0);
      expect(new Set(grades('pod-networkpolicy'))).toEqual(new Set([expected.pod]));
    }
    if (expected.policy) {
      expect(grades('networkpolicy-targets-pod').length).toBeGreaterThan(0);
      expect(new Set(grades('networkpolicy-targets-pod'))).toEqual(new Set([expected.policy]));
    }
  });
});

describe('policyCoverage defaulting', () => {
  const policy = (spec: object) => ({ kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1', namespace: 'a', name: 'p', file: 'x', line: 1, object: { spec } });
  it('treats empty policyTypes as Ingress, plus Egress only with egress rules', () => {
    const pod = { kind: 'Pod', apiVersion: 'v1', namespace: 'a', name: 'web', file: 'x', line: 1, object: { metadata: { labels: { app: 'web' } }, spec: {} } };
    const grade = (spec: object) => checkNetworkPolicies([policy(spec), pod]).find((r) => r.checkId === 'pod-networkpolicy')?.status;
    expect(grade({ podSelector: {} })).toBe('WARN');
    expect(grade({ podSelector: {}, egress: [{}] })).toBe('PASS');
    expect(grade({ podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] }, policyTypes: ['Ingress', 'Egress'] })).toBe('PASS');
    expect(grade({ podSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, policyTypes: ['Ingress', 'Egress'] })).toBe('FAIL');
  });
});
