import { pullSecretCredential } from './credentials';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('pullSecretCredential (a Kubernetes pull secret)', () => {
  it('finds the registry in .dockerconfigjson (auths) or .dockercfg (the map alone), by host', () => {
    const json = JSON.stringify({ auths: { 'https://reg.example:5000/v1/': { auth: b64('u:p:with:colons') }, 'other.example': { username: 'x', password: 'y' } } });
    expect(pullSecretCredential(json, 'reg.example:5000', 'secret a/b')).toEqual({ username: 'u', password: 'p:with:colons' });
    expect(pullSecretCredential(JSON.stringify({ 'other.example': { username: 'x', password: 'y' } }), 'other.example', 'secret a/b')).toEqual({ username: 'x', password: 'y' });
    expect(pullSecretCredential(JSON.stringify({ auths: { 'https://index.docker.io/v1/': { identitytoken: 't' } } }), 'docker.io', 'secret a/b')).toEqual({ identityToken: 't' });
    expect(pullSecretCredential(json, 'elsewhere.example', 'secret a/b')).toBeUndefined();
  });

  it('never runs credential helpers a secret names, and names the secret (never its text) in errors', () => {
    expect(pullSecretCredential(JSON.stringify({ credsStore: 'evil', credHelpers: { 'reg.example': 'evil' } }), 'reg.example', 'secret a/b')).toBeUndefined();
    expect(() => pullSecretCredential('{not json "hunter2"', 'reg.example', 'secret a/b')).toThrow(/^secret a\/b: not JSON$/);
    expect(() => pullSecretCredential(JSON.stringify({ auths: { 'reg.example': { auth: b64('no-colon') } } }), 'reg.example', 'secret a/b')).toThrow('secret a/b: auths["reg.example"].auth is not base64 of user:password');
  });
});
