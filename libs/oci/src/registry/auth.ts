import { BadInputError } from '@bulkhead/plugin-sdk';
import type { Credential, CredentialSource } from './credentials';
import { drain, readBody, redact, type HttpResponse, type Transport } from './transport';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
export function parseChallenge(header: string): Challenge | undefined {
  const match = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(.*)$/s.exec(header);
  if (!match?.[1]) return undefined;
  const params: Record<string, string> = {};
  const pattern = /([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (const m of (match[2] ?? '').matchAll(pattern)) {
    if (m[1]) params[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return { scheme: match[1].toLowerCase(), params };
}

/** The registry's error document (`{"errors":[{"code","message","detail"}]}`) as one line. */
export function describeRegistryErrors(body: Buffer): string | undefined {
  try {
    const json = JSON.parse(body.toString('utf8')) as { errors?: { code?: unknown; message?: unknown }[] };
    const errors = Array.isArray(json.errors) ? json.errors : [];
    const parts = errors.slice(0, 5).map((e) => [e.code, e.message].filter((x) => typeof x === 'string' && x).join(': ')).filter(Boolean);
    return parts.length ? parts.join('; ') : undefined;
  } catch {
    return undefined;
  }
}

const MAX_TOKEN_RESPONSE = 256 * 1024;
const MAX_CACHED_TOKEN_SECONDS = 3600;

interface CachedAuth {
  header: string;
  /** ms since epoch; Basic never expires. */
  expires: number;
}

/**
 * Registry authentication: answers a 401's challenge with Basic credentials or with a Bearer
 * token from the challenge's realm (the distribution token flow), and remembers the header per
 * registry and repository so later requests send it straight away.
 */
export class Authenticator {
  private readonly cache = new Map<string, CachedAuth>();
  private readonly credentialCache = new Map<string, Promise<Credential | undefined>>();

  constructor(
    private readonly transport: Transport,
    private readonly credentials: CredentialSource,
  ) {}

  private key(registry: string, repository: string): string {
    return `${registry}\n${repository}`;
  }

  /** The Authorization header to send up front, when one is known. */
  cached(registry: string, repository: string): string | undefined {
    const entry = this.cache.get(this.key(registry, repository)) ?? this.cache.get(this.key(registry, ''));
    if (!entry) return undefined;
    if (entry.expires < Date.now()) return undefined;
    return entry.header;
  }

  private credential(registry: string): Promise<Credential | undefined> {
    let pending = this.credentialCache.get(registry);
    if (!pending) {
      pending = this.credentials.lookup(registry);
      this.credentialCache.set(registry, pending);
    }
    return pending;
  }

  /**
   * Answers the 401 `response` (body not yet read) for a request to `repository`; returns the
   * header to send again with, or throws a BadInputError saying why access is impossible.
   */
  async answer(registry: string, repository: string, response: HttpResponse): Promise<string> {
    const header = response.headers['www-authenticate'];
    const body = await readBody(response, 64 * 1024, 'error body').catch(() => Buffer.alloc(0));
    const challenge = typeof header === 'string' ? parseChallenge(header) : undefined;
    const reason = describeRegistryErrors(body) ?? 'authentication required';
    if (!challenge) throw new BadInputError(`registry ${registry}: ${response.status} without a usable WWW-Authenticate challenge (${reason})`);
    const credential = await this.credential(registry);
    if (challenge.scheme === 'basic') {
      if (!credential || !('username' in credential)) {
        throw new BadInputError(`registry ${registry}: authentication required (${reason}) and no username/password for it in the credentials file (docker login ${registry})`);
      }
      const value = `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
      this.cache.set(this.key(registry, ''), { header: value, expires: Number.POSITIVE_INFINITY });
      return value;
    }
    if (challenge.scheme === 'bearer') {
      const token = await this.fetchToken(registry, challenge, credential, reason);
      this.cache.set(this.key(registry, repository), token);
      return token.header;
    }
    throw new BadInputError(`registry ${registry}: unsupported authentication scheme "${challenge.scheme}" (${reason})`);
  }

  /** The distribution token flow: GET realm?service=&scope= (Basic), or POST with a refresh token. */
  private async fetchToken(registry: string, challenge: Challenge, credential: Credential | undefined, reason: string): Promise<CachedAuth> {
    const realm = challenge.params['realm'];
    if (!realm) throw new BadInputError(`registry ${registry}: Bearer challenge without a realm (${reason})`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new BadInputError(`registry ${registry}: token realm ${JSON.stringify(realm.slice(0, 200))} is not a URL`);
    }
    const service = challenge.params['service'];
    const scopes = (challenge.params['scope'] ?? '').split(' ').filter(Boolean);
    let response: HttpResponse;
    if (credential && 'identityToken' in credential) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credential.identityToken, client_id: 'bulkhead' });
      if (service) form.set('service', service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      response = await this.transport.send({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form.toString()) });
    } else {
      if (service) url.searchParams.set('service', service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      const headers: Record<string, string> = {};
      if (credential) headers['authorization'] = `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
      response = await this.transport.send({ method: 'GET', url, headers });
    }
    if (response.status !== 200) {
      const body = await readBody(response, 64 * 1024, 'token error').catch(() => Buffer.alloc(0));
      const detail = describeRegistryErrors(body) ?? body.toString('utf8').slice(0, 200).trim();
      throw new BadInputError(
        `registry ${registry}: token server ${url.origin}${url.pathname} answered ${response.status}${credential ? '' : ' (no credentials for this registry in the credentials file)'}${detail ? `: ${detail}` : ''}`,
      );
    }
    const body = await readBody(response, MAX_TOKEN_RESPONSE, `token from ${redact(url)}`);
    let json: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      json = JSON.parse(body.toString('utf8')) as typeof json;
    } catch {
      throw new BadInputError(`registry ${registry}: token server ${redact(url)} answered something other than JSON`);
    }
    const token = typeof json.token === 'string' && json.token ? json.token : typeof json.access_token === 'string' ? json.access_token : '';
    if (!token) throw new BadInputError(`registry ${registry}: token server ${redact(url)} answered without a token`);
    const lifetime = typeof json.expires_in === 'number' && json.expires_in > 0 ? Math.min(json.expires_in, MAX_CACHED_TOKEN_SECONDS) : 60;
    // Renew a little early so a token never expires between being picked and being used.
    return { header: `Bearer ${token}`, expires: Date.now() + Math.max(1, lifetime - 10) * 1000 };
  }

  /** Forgets what was cached for a repository after the registry refused it. */
  forget(registry: string, repository: string): void {
    this.cache.delete(this.key(registry, repository));
  }
}

export { drain };
