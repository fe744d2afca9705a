import { osvCvssScore } from './cvss-score';

describe('osvCvssScore', () => {
  it('scores v3 and v4 vectors under their OSV types, the same on a cached second call', () => {
    const v3 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
    expect(osvCvssScore('CVSS_V3', v3)).toEqual({ score: 9.8 });
    expect(osvCvssScore('CVSS_V3', v3)).toEqual({ score: 9.8 });
    expect(osvCvssScore('CVSS_V4', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toEqual({ score: 9.3 });
  });

  it('names a vector filed under the wrong type or missing a base metric', () => {
    expect(osvCvssScore('CVSS_V4', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toEqual({ error: expect.stringMatching(/^CVSS_V4 entry holds a CVSS 3\.1 vector/) });
    expect(osvCvssScore('CVSS_V3', 'CVSS:3.1/AV:N/AC:L')).toEqual({ error: expect.stringMatching(/base metric PR missing/) });
  });
});
