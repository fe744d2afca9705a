import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { RegistryClient, RegistryHttpError, serverHostPolicy, staticCredentials, type RegistryRepository } from './index';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A tiny loopback HTTP server whose answers each test scripts. */
async function fakeRegistry(handler: Handler): Promise<{ host: string; close: () => Promise<void>; hits: string[] }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 2 }, layers: [] }));
const MANIFEST_DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;

function sendManifest(res: http.ServerResponse, body = MANIFEST): void {
  res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': body.length, 'docker-content-digest': MANIFEST_DIGEST });
  res.end(body);
}

describe('registry client against a misbehaving registry', () => {
  let server: Awaited<ReturnType<typeof fakeRegistry>> | undefined;
  let client: RegistryClient | undefined;
  afterEach(async () => {
    client?.close();
    await server?.close();
    server = undefined;
    client = undefined;
  });
  const make = (options: ConstructorParameters<typeof RegistryClient>[0] = {}): RegistryClient => {
    client = new RegistryClient({ credentials: staticCredentials({}), retries: 3, retryBaseDelayMs: 5, ...options });
    return client;
  };
  const repo = (): RegistryRepository => ({ registry: server?.host ?? '', repository: 'app' });

  it('retries 503s with backoff and succeeds when the registry recovers', async () => {
    let calls = 0;
    server = await fakeRegistry((_req, res) => {
      if (++calls <= 2) {
        res.writeHead(503).end('busy');
        return;
      }
      sendManifest(res);
    });
    const manifest = await make().getManifest(repo(), 'latest');
    expect(manifest.digest).toBe(MANIFEST_DIGEST);
    expect(calls).toBe(3);
  });

  it('honours Retry-After on 429 (capped) and gives up with an error naming the URL, the status and the attempts', async () => {
    const times: number[] = [];
    server = await fakeRegistry((_req, res) => {
      times.push(Date.now());
      res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] }));
    });
    const error = await make({ retries: 2, maxRetryDelayMs: 150 })
      .getManifest(repo(), 'latest')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryHttpError);
    expect((error as RegistryHttpError).status).toBe(429);
    expect(String(error)).toContain(`http://${server.host}/v2/app/manifests/latest answered 429`);
    expect(String(error)).toMatch(/TOOMANYREQUESTS: slow down after 3 attempts/);
    expect(times).toHaveLength(3);
    // Retry-After said 1 s; the cap (150 ms) wins.
    const gap = (times[1] ?? 0) - (times[0] ?? 0);
    expect(gap).toBeGreaterThanOrEqual(140);
    expect(gap).toBeLessThan(900);
  });

  it('gives up on a registry that keeps answering 500', async () => {
    server = await fakeRegistry((_req, res) => res.writeHead(500).end('internal'));
    await expect(make({ retries: 1 }).hasBlob(repo(), `sha256:${'b'.repeat(64)}`)).rejects.toThrow(/blobs\/sha256:b+ answered 500 after 2 attempts/);
    expect(server.hits).toHaveLength(2);
  });

  it('retries a dropped connection', async () => {
    let calls = 0;
    server = await fakeRegistry((req, res) => {
      if (++calls === 1) {
        req.socket.destroy();
        return;
      }
      sendManifest(res);
    });
    expect((await make().getManifest(repo(), 'latest')).digest).toBe(MANIFEST_DIGEST);
  });

  it('refuses an oversized manifest by its Content-Length and by its bytes', async () => {
    const big = Buffer.alloc(64 * 1024, 0x20);
    server = await fakeRegistry((req, res) => {
      if (req.url?.endsWith('/declared')) {
        res.writeHead(200, { 'content-length': big.length }).end(big);
        return;
      }
      // Chunked: no Content-Length to judge by; the limit stops the read.
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      res.write(big.subarray(0, 32 * 1024));
      res.end(big.subarray(32 * 1024));
    });
    const small = make({ maxManifestBytes: 16 * 1024 });
    await expect(small.getManifest(repo(), 'declared')).rejects.toThrow(/65536 bytes, over the 16384-byte limit/);
    const error = await small.getManifest(repo(), 'streamed').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadInputError);
    expect(String(error)).toMatch(/more than 16384 bytes/);
  });

  it('refuses a manifest whose bytes do not match the digest asked for', async () => {
    server = await fakeRegistry((_req, res) => sendManifest(res, Buffer.from('{"schemaVersion":2,"tampered":true}')));
    await expect(make().getManifest(repo(), MANIFEST_DIGEST)).rejects.toThrow(/digest mismatch/);
  });

  it('fails a blob stream whose bytes do not hash to the digest', async () => {
    const digest = `sha256:${createHash('sha256').update('expected').digest('hex')}`;
    server = await fakeRegistry((_req, res) => res.writeHead(200, { 'content-length': 8 }).end('tampered'));
    const stream = await make().openBlob(repo(), digest, 8);
    await expect(stream.toArray()).rejects.toThrow(/digest mismatch: expected sha256:/);
  });

  it('server mode: refuses a redirect to a link-local (metadata) address, even with every host allowed', async () => {
    server = await fakeRegistry((_req, res) => res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end());
    const policy = serverHostPolicy({ allowedHosts: ['*'], allowPrivate: true });
    const error = await make({ hostPolicy: policy, insecureHosts: ['169.254.169.254'] })
      .getManifest(repo(), 'latest')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadInputError);
    expect(String(error)).toMatch(/169\.254\.169\.254 is link-local, metadata or reserved; refused always in server mode/);
    expect(server.hits).toHaveLength(1);
  });

  it('server mode: refuses a host outside the allow-list, and loopback unless private ranges are allowed', async () => {
    server = await fakeRegistry((_req, res) => sendManifest(res));
    await expect(make({ hostPolicy: serverHostPolicy({ allowedHosts: ['ghcr.io'] }) }).getManifest(repo(), 'latest')).rejects.toThrow(/not in the allow-list/);
    await expect(make({ hostPolicy: serverHostPolicy({ allowedHosts: ['127.0.0.1'] }) }).getManifest(repo(), 'latest')).rejects.toThrow(/private or loopback; refused in server mode/);
    expect(server.hits).toHaveLength(0);
    expect((await make({ hostPolicy: serverHostPolicy({ allowedHosts: ['127.0.0.1'], allowPrivate: true }) }).getManifest(repo(), 'latest')).digest).toBe(MANIFEST_DIGEST);
  });

  it('server mode: a name is judged by the addresses it resolves to', async () => {
    server = await fakeRegistry((_req, res) => sendManifest(res));
    const port = server.host.split(':')[1];
    // `localhost` resolves to loopback: refused without allowPrivate although the name is allowed.
    await expect(make({ hostPolicy: serverHostPolicy({ allowedHosts: ['localhost'] }) }).getManifest({ registry: `localhost:${port}`, repository: 'app' }, 'latest')).rejects.toThrow(/localhost: address .* is private or loopback/);
  });

  it('refuses plain HTTP redirects to a host not named insecure', async () => {
    server = await fakeRegistry((_req, res) => res.writeHead(302, { location: 'http://storage.example.com/blob' }).end());
    await expect(make().openBlob(repo(), `sha256:${'c'.repeat(64)}`)).rejects.toThrow(/plain HTTP to storage\.example\.com refused/);
  });

  it('does not send the registry credentials along a redirect to another origin', async () => {
    const storage = await fakeRegistry((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(req.headers.authorization ?? 'none');
    });
    try {
      const body = Buffer.from('none');
      const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
      server = await fakeRegistry((req, res) => {
        if (!req.headers.authorization) {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end();
          return;
        }
        res.writeHead(307, { location: `http://${storage.host}/blob` }).end();
      });
      const c = make({ credentials: staticCredentials({ [server.host]: { username: 'u', password: 'p' } }) });
      expect(Buffer.concat(await (await c.openBlob(repo(), digest)).toArray()).toString()).toBe('none');
    } finally {
      await storage.close();
    }
  });
});
