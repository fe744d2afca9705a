import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { describeWithRegistry, freePort } from '../testing';
import { dockerConfigCredentials, RegistryClient, staticCredentials, type RegistryRepository } from './index';

const USER = 'alice';
const PASSWORD = 'correct horse battery staple';
const blob = Buffer.from('authenticated layer');
const blobDigest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;

async function roundTrip(client: RegistryClient, repo: RegistryRepository): Promise<void> {
  await client.pushBlob(repo, blob, blobDigest, blob.length);
  expect((await client.readBlob(repo, blobDigest, 1024)).equals(blob)).toBe(true);
}

const work = mkdtempSync(path.join(tmpdir(), 'bulkhead-registry-auth-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describeWithRegistry(
  'registry basic auth (htpasswd)',
  (registry) => {
    it('pushes and pulls with the password from a docker config file ($REGISTRY_AUTH_FILE)', async () => {
      const file = path.join(work, 'auth.json');
      writeFileSync(file, JSON.stringify({ auths: { [registry().host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }));
      const client = new RegistryClient({ credentials: dockerConfigCredentials({ env: { REGISTRY_AUTH_FILE: file } }), retries: 0 });
      try {
        await roundTrip(client, { registry: registry().host, repository: 'test/basic' });
        expect(await client.listTags({ registry: registry().host, repository: 'test/basic' })).toEqual([]);
      } finally {
        client.close();
      }
    });

    it('a wrong password fails with a clear error carrying the registry error code', async () => {
      const client = new RegistryClient({ credentials: staticCredentials({ [registry().host]: { username: USER, password: 'wrong' } }), retries: 0 });
      try {
        const error = await client.hasBlob({ registry: registry().host, repository: 'test/basic' }, blobDigest).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BadInputError);
        expect(String(error)).toMatch(/credentials refused.*UNAUTHORIZED/);
        expect(String(error)).toContain(registry().host);
      } finally {
        client.close();
      }
    });

    it('without credentials says which registry wants them and how to give them', async () => {
      const client = new RegistryClient({ credentials: staticCredentials({}), retries: 0 });
      try {
        await expect(client.hasBlob({ registry: registry().host, repository: 'test/basic' }, blobDigest)).rejects.toThrow(/authentication required .* no username\/password for it in the credentials file \(docker login 127\.0\.0\.1:\d+\)/);
      } finally {
        client.close();
      }
    });
  },
  { mode: 'htpasswd', user: USER, password: PASSWORD },
);

/**
 * A token server as the distribution token spec describes it: Basic credentials in, a JWT out,
 * signed (ES256) by a key whose certificate chains to the test CA the registry trusts.
 */
class TokenServer {
  readonly service = 'bulkhead-test-registry';
  readonly issuer = 'bulkhead-test-issuer';
  readonly caFile: string;
  private readonly signerKey: ReturnType<typeof createPrivateKey>;
  private readonly x5c: string[];
  private server?: http.Server;
  realm = '';
  requests: string[] = [];

  constructor(dir: string) {
    const ssl = (...args: string[]): void => {
      execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    };
    ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
    ssl('req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=bulkhead test token CA', '-days', '2', '-out', 'ca.pem', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
    ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'signer.key');
    ssl('req', '-new', '-key', 'signer.key', '-subj', '/CN=bulkhead test token signer', '-out', 'signer.csr');
    writeFileSync(path.join(dir, 'signer.ext'), 'keyUsage=critical,digitalSignature\n');
    ssl('x509', '-req', '-in', 'signer.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'signer.pem', '-extfile', 'signer.ext');
    this.caFile = path.join(dir, 'ca.pem');
    this.signerKey = createPrivateKey(readFileSync(path.join(dir, 'signer.key')));
    this.x5c = [new X509Certificate(readFileSync(path.join(dir, 'signer.pem'))).raw.toString('base64')];
  }

  private token(scopes: string[]): string {
    const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.map((scope) => {
      const [type = '', name = '', actions = ''] = scope.split(':');
      return { type, name, actions: actions.split(',').filter(Boolean) };
    });
    const input = `${b64({ typ: 'JWT', alg: 'ES256', x5c: this.x5c })}.${b64({ iss: this.issuer, sub: USER, aud: this.service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access })}`;
    const signature = sign('sha256', Buffer.from(input), { key: this.signerKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }

  async start(): Promise<void> {
    const port = await freePort();
    this.realm = `http://127.0.0.1:${port}/token`;
    this.server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', this.realm);
      this.requests.push(url.search);
      const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
      if (req.headers.authorization !== expected || url.searchParams.get('service') !== this.service) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] }));
        return;
      }
      const token = this.token(url.searchParams.getAll('scope'));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    expect((this.server.address() as AddressInfo).port).toBe(port);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

let tokens: TokenServer | undefined;
afterAll(async () => tokens?.stop());

describeWithRegistry(
  'registry token auth (Bearer realm / service / scope)',
  (registry) => {
    it('gets a token from the realm with the challenge scope and pushes and pulls with it', async () => {
      const client = new RegistryClient({ credentials: staticCredentials({ [registry().host]: { username: USER, password: PASSWORD } }), retries: 0 });
      try {
        await roundTrip(client, { registry: registry().host, repository: 'test/token' });
        const scopes = (tokens?.requests ?? []).map((q) => new URLSearchParams(q).get('scope'));
        // The registry words the push scope from whichever request it challenged first
        // (`pull,push` or `push,pull`): the actions are what the token was asked for.
        const actionSets = scopes.map((scope) => (scope ?? '').replace(/^repository:test\/token:/, '').split(',').sort().join(','));
        expect(actionSets).toContain('pull,push');
        // Tokens are remembered: one per scope change, not one per request.
        expect(tokens?.requests.length).toBeLessThanOrEqual(3);
      } finally {
        client.close();
      }
    });

    it('a wrong password fails at the token server with its error', async () => {
      const client = new RegistryClient({ credentials: staticCredentials({ [registry().host]: { username: USER, password: 'nope' } }), retries: 0 });
      try {
        const error = await client.getManifest({ registry: registry().host, repository: 'test/token' }, 'latest').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BadInputError);
        expect(String(error)).toMatch(/token server http:\/\/127\.0\.0\.1:\d+\/token answered 401: UNAUTHORIZED: invalid username or password/);
      } finally {
        client.close();
      }
    });
  },
  async () => {
    tokens = new TokenServer(mkdtempSync(path.join(work, 'ca-')));
    await tokens.start();
    return { mode: 'token', realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertFile: tokens.caFile };
  },
);
