import { cvssScore, InvalidCvssVectorError, scoreCvssVector, severityOfCvssScore } from './cvss';

describe('CVSS vectors', () => {
  // Scores from FIRST's calculators (v3.1 spec examples / NVD, v4.0 calculator).
  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8, 'CRITICAL'],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8, 'CRITICAL'],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:N/A:N', 6.8, 'MEDIUM'],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8, 'HIGH'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:L/A:N', 4.3, 'MEDIUM'],
    ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.6, 'LOW'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0, 'INFO'],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3, 'CRITICAL'],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N', 5.1, 'MEDIUM'],
  ])('%s → %d %s', (vector, score, severity) => {
    const scored = scoreCvssVector(vector);
    expect(scored.baseScore).toBe(score);
    expect(scored.severity).toBe(severity);
    expect(cvssScore(vector).type).toBe(vector.startsWith('CVSS:4') ? 'CVSS_V4' : 'CVSS_V3');
  });
  it('takes temporal and environmental metrics but scores the base', () => {
    expect(scoreCvssVector('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U').baseScore).toBe(9.8);
  });
  it.each([
    ['garbage', 'does not start with CVSS:3.0/'],
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P', 'does not start with CVSS:3.0/'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H', 'base metric A missing'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:X', 'base metric A has value X'],
    ['CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'metric AV given twice'],
    ['CVSS:4.0/AV:N/AC:L/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 'base metric AT missing'],
    ['CVSS:3.1/AV:N//AC:L', 'malformed metric ""'],
    [`CVSS:3.1/${'AV:N/'.repeat(200)}`, 'longer than 512 characters'],
  ])('rejects %s', (vector, reason) => {
    expect(() => scoreCvssVector(vector)).toThrow(InvalidCvssVectorError);
    expect(() => scoreCvssVector(vector)).toThrow(reason);
  });
  it('maps scores to the qualitative scale at its boundaries', () => {
    expect([10, 9, 8.9, 7, 6.9, 4, 3.9, 0.1, 0].map(severityOfCvssScore)).toEqual(['CRITICAL', 'CRITICAL', 'HIGH', 'HIGH', 'MEDIUM', 'MEDIUM', 'LOW', 'LOW', 'INFO']);
  });
});
