import { platformPullCredentials, type RegistryPullRequest } from './services';

describe('platformPullCredentials', () => {
  const request: RegistryPullRequest = { registry: 'reg.example:5000', repository: 'team/app', digest: `sha256:${'a'.repeat(64)}` };

  it("asks the platform's service once per pull, for the pulled registry host only", async () => {
    const asked: RegistryPullRequest[] = [];
    const platform = { services: { registryCredentials: { forPull: async (r: RegistryPullRequest) => (asked.push(r), { username: 'u', password: 'p' }) } } };
    const source = platformPullCredentials(platform, request);
    expect(await source?.lookup('reg.example:5000')).toEqual({ username: 'u', password: 'p' });
    expect(await source?.lookup('reg.example:5000')).toEqual({ username: 'u', password: 'p' });
    // A redirect to another host, or another registry the pull touches, never gets it.
    expect(await source?.lookup('evil.example')).toBeUndefined();
    expect(asked).toEqual([request]);
  });

  it('is undefined inline, without a provider, or on a host without services', () => {
    expect(platformPullCredentials(undefined, request)).toBeUndefined();
    expect(platformPullCredentials({ services: {} }, request)).toBeUndefined();
    expect(platformPullCredentials({}, request)).toBeUndefined();
  });
});
