import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { parseImageReference } from '../reference';
import {
  classifyAddress,
  dockerConfigCredentials,
  formatRegistryReference,
  isLoopbackHost,
  parseChallenge,
  parsePlatform,
  parseRegistryReference,
  pickPlatform,
  platformMatches,
  referrersTag,
  registryServerConfigFromEnv,
  serverHostPolicy,
} from './index';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('parseRegistryReference', () => {
  it.each([
    ['registry:localhost:5000/app:1', { registry: 'localhost:5000', repository: 'app', tag: '1' }],
    ['localhost:5000/app:1', { registry: 'localhost:5000', repository: 'app', tag: '1' }],
    [`ghcr.io/x/y@${DIGEST}`, { registry: 'ghcr.io', repository: 'x/y', digest: DIGEST }],
    [`ghcr.io/x/y:v2@${DIGEST}`, { registry: 'ghcr.io', repository: 'x/y', tag: 'v2', digest: DIGEST }],
    ['alpine', { registry: 'docker.io', repository: 'library/alpine' }],
    ['alpine:3.19', { registry: 'docker.io', repository: 'library/alpine', tag: '3.19' }],
    ['index.docker.io/bitnami/redis:7', { registry: 'docker.io', repository: 'bitnami/redis', tag: '7' }],
    ['registry:127.0.0.1:5101/a/b/c', { registry: '127.0.0.1:5101', repository: 'a/b/c' }],
    ['[::1]:5000/app:latest', { registry: '[::1]:5000', repository: 'app', tag: 'latest' }],
    ['Registry.Example.COM/team/app', { registry: 'registry.example.com', repository: 'team/app' }],
  ])('%s', (text, expected) => {
    expect(parseRegistryReference(text)).toEqual({ ...expected, reference: text });
  });

  it.each([
    ['registry:', /names no repository/],
    ['ghcr.io/x/Y:1', /repository component "Y" is not valid/],
    ['ghcr.io/x/y:-bad', /tag "-bad" is not valid/],
    ['ghcr.io/x/y@sha256:abc', /digest "sha256:abc" is not/],
    ['ghcr.io/x/../y', /component "\.\." is not valid/],
    ['ghcr.io/x y', /white space/],
    [`ghcr.io/${'a'.repeat(300)}`, /longer than 255/],
  ])('refuses %s', (text, message) => {
    expect(() => parseRegistryReference(text)).toThrow(BadInputError);
    expect(() => parseRegistryReference(text)).toThrow(message);
  });

  it('formats back to what docker would print', () => {
    expect(formatRegistryReference(parseRegistryReference(`registry:localhost:5000/app:1@${DIGEST}`))).toBe(`localhost:5000/app:1@${DIGEST}`);
  });
});

describe('parseImageReference: registry sources', () => {
  it('takes registry: and bare references with a host, and leaves other schemes alone', () => {
    expect(parseImageReference('registry:ghcr.io/x/y:1')).toMatchObject({ kind: 'registry', image: { registry: 'ghcr.io', repository: 'x/y', tag: '1' } });
    expect(parseImageReference('localhost:5000/app:1')).toMatchObject({ kind: 'registry', image: { registry: 'localhost:5000' } });
    expect(parseImageReference(`ghcr.io/x/y@${DIGEST}`)).toMatchObject({ kind: 'registry', image: { digest: DIGEST } });
    expect(parseImageReference('oci:/tmp/layout:v1')).toMatchObject({ kind: 'oci', dir: '/tmp/layout', ref: 'v1' });
    expect(parseImageReference('docker-archive:./a.b/c.tar')).toMatchObject({ kind: 'docker-archive' });
    // No host, no scheme: not guessed as Docker Hub (a typo of a local path must not go online).
    expect(() => parseImageReference('alpine:3.19')).toThrow(/unknown source "alpine:"/);
  });
});

describe('parsePlatform and matching', () => {
  it('parses and normalises', () => {
    expect(parsePlatform('linux/amd64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(parsePlatform('Linux/x86_64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(() => parsePlatform('linux')).toThrow(/expected os\/arch\[\/variant\]/);
    expect(() => parsePlatform('linux/amd64/v1/x')).toThrow(BadInputError);
  });

  it('arm64 with no variant is v8; a requested variant must match otherwise', () => {
    expect(platformMatches(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64' })).toBe(true);
    expect(platformMatches(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v6' })).toBe(false);
    expect(platformMatches(parsePlatform('linux/arm'), { os: 'linux', architecture: 'arm', variant: 'v6' })).toBe(true);
  });

  it('never picks an attestation manifest', () => {
    const d = (os: string, architecture: string, digest: string) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 1, platform: { os, architecture } });
    const a = `sha256:${'a'.repeat(64)}`;
    const u = `sha256:${'b'.repeat(64)}`;
    expect(pickPlatform([d('unknown', 'unknown', u), d('linux', 'arm64', a)], undefined, 'x').digest).toBe(a);
  });
});

describe('parseChallenge', () => {
  it('reads Bearer parameters, quoted with escapes or not', () => {
    expect(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
    });
    expect(parseChallenge('Basic realm="with \\"quotes\\"", charset=UTF-8')).toEqual({ scheme: 'basic', params: { realm: 'with "quotes"', charset: 'UTF-8' } });
    expect(parseChallenge('')).toBeUndefined();
  });
});

describe('dockerConfigCredentials', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-creds-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds auths by host, by URL key, and Docker Hub under its legacy key', async () => {
    const file = path.join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw:with:colons').toString('base64') },
          'https://ghcr.io': { username: 'u', password: 'p' },
          'registry.local:5000': { identitytoken: 'refresh-me' },
        },
      }),
    );
    const source = dockerConfigCredentials({ env: { DOCKER_CONFIG: dir } });
    expect(await source.lookup('docker.io')).toEqual({ username: 'hub', password: 'pw:with:colons' });
    expect(await source.lookup('ghcr.io')).toEqual({ username: 'u', password: 'p' });
    expect(await source.lookup('registry.local:5000')).toEqual({ identityToken: 'refresh-me' });
    expect(await source.lookup('quay.io')).toBeUndefined();
  });

  it('no file is no credentials; a broken file is a clear error', async () => {
    expect(await dockerConfigCredentials({ file: path.join(dir, 'absent.json') }).lookup('x.io')).toBeUndefined();
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    await expect(dockerConfigCredentials({ file: bad }).lookup('x.io')).rejects.toThrow(/bad\.json: invalid JSON/);
  });

  it('prefers $REGISTRY_AUTH_FILE over $DOCKER_CONFIG', async () => {
    const auth = path.join(dir, 'auth.json');
    writeFileSync(auth, JSON.stringify({ auths: { 'ghcr.io': { username: 'from-auth-file', password: 'x' } } }));
    expect(await dockerConfigCredentials({ env: { REGISTRY_AUTH_FILE: auth, DOCKER_CONFIG: dir } }).lookup('ghcr.io')).toEqual({ username: 'from-auth-file', password: 'x' });
  });
});

describe('host policy', () => {
  it.each([
    ['169.254.169.254', 'refused'],
    ['::ffff:169.254.169.254', 'refused'],
    ['fe80::1', 'refused'],
    ['fd00:ec2::254', 'refused'],
    ['0.0.0.0', 'refused'],
    ['10.1.2.3', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'private'],
    ['::1', 'private'],
    ['8.8.8.8', 'public'],
    ['2606:4700::1111', 'public'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it('knows loopback hosts (plain HTTP allowed there)', () => {
    expect(['localhost', '127.0.0.2', '[::1]', 'a.localhost'].every(isLoopbackHost)).toBe(true);
    expect(['localhost.example.com', '10.0.0.1', '128.0.0.1'].some(isLoopbackHost)).toBe(false);
  });

  it('matches exact hosts, host:port and *.wildcards', async () => {
    const policy = serverHostPolicy({ allowedHosts: ['*.example.com', 'registry.local:5000'], allowPrivate: true });
    await expect(policy.check(new URL('https://example.com/'))).rejects.toThrow(/not in the allow-list/);
    await expect(policy.check(new URL('https://8.8.8.8/'))).rejects.toThrow(/not in the allow-list \(BULKHEAD_REGISTRY_ALLOWED_HOSTS=\*\.example\.com,registry\.local:5000\)/);
    await expect(policy.check(new URL('http://169.254.169.254/'))).rejects.toThrow(/not in the allow-list/);
    await expect(serverHostPolicy({ allowedHosts: ['*'] }).check(new URL('http://[fe80::1]/'))).rejects.toThrow(/link-local/);
  });

  it('reads its configuration from the environment and refuses a bad boolean', () => {
    expect(registryServerConfigFromEnv({ BULKHEAD_REGISTRY_INSECURE_HOSTS: 'a:5000, b' }).insecureHosts).toEqual(['a:5000', 'b']);
    expect(() => registryServerConfigFromEnv({ BULKHEAD_REGISTRY_ALLOW_PRIVATE: 'maybe' })).toThrow(/expected true or false/);
  });
});

describe('referrersTag', () => {
  it('is the digest with a dash', () => {
    expect(referrersTag(DIGEST)).toBe(`sha256-${'0123456789abcdef'.repeat(4)}`);
  });
});
