import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { readLegacyCases, runLegacyCase } from './k8saudit-legacy';

describeWithShared('Falco legacy k8s audit regression cases (falco_k8s_audit_tests.yaml)', (shared) => {
  const dir = path.join(shared, 'peers', 'falco', 'k8saudit');
  const cases = readLegacyCases(dir);

  it('has the 66 cases, 45 expecting a detection', () => {
    expect(cases).toHaveLength(66);
    expect(cases.filter((c) => c.detect)).toHaveLength(45);
  });

  for (const variant of [
    { label: 'with the 2022 rules the expectations were written for', current: false },
    { label: 'with the current k8saudit plugin rules (renamed rules mapped)', current: true },
  ]) {
    it(`passes every case ${variant.label}`, async () => {
      const outcomes = await Promise.all(cases.map((c) => runLegacyCase(dir, c, variant.current)));
      const failed = outcomes.filter((o) => !o.passed).map((o) => `${o.name}: ${o.problems.join('; ')}`);
      expect(failed).toEqual([]);
      expect(outcomes.filter((o) => o.passed)).toHaveLength(66);
    }, 120_000);
  }

  it('counts and skips the malformed event of fal_01_003 without detections', async () => {
    const c = cases.find((x) => x.name === 'fal_01_003');
    if (!c) throw new Error('case fal_01_003 is missing');
    const outcome = await runLegacyCase(dir, c, true);
    expect(outcome.malformed).toBe(1);
    expect(outcome.alerts).toEqual([]);
  });
});
