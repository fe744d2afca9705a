import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { HOST_REQUEST_CONTEXT, PLUGIN_DATABASE, type HostRequestContext, type PluginDatabase, type PluginMigration } from '@bulkhead/plugin-sdk/api';
import { ADMISSION_POLICY, type AdmissionPolicy } from './policy';
import { TeamKeyCache } from './trusted-key-cache';
import { AdmissionTrustedKeySource, type AdmissionTrustedKey, type AdmissionTrustedKeys } from './trusted-keys.model';

/** The most keys one team may add through the API (the policy file holds at most 100 too). */
export const MAX_API_TRUSTED_KEYS = 100;
const MAX_NAME_LENGTH = 100;
const MAX_PEM_BYTES = 16 * 1024;
/** Key types a container signature can be made with (cosign, Notation): ECDSA, RSA, Ed25519. */
const SIGNING_KEY_TYPES = new Set(['ec', 'rsa', 'rsa-pss', 'ed25519']);
const FINGERPRINT = /^(?:key:)?([0-9a-f]{64})$/;

/** Keys a team's admins add for the webhook's signature rule (plugin migration, team-scoped). */
export const ADMISSION_TRUSTED_KEY_MIGRATION: PluginMigration = {
  id: '0103-admission-trusted-key',
  up: async (db) => {
    await db.query(
      `CREATE TABLE admission_trusted_key (team text NOT NULL, fingerprint text NOT NULL, name text NOT NULL, public_key text NOT NULL, added_by text NOT NULL, added_by_token text NOT NULL, added_at timestamptz(3) NOT NULL DEFAULT now(), PRIMARY KEY (team, fingerprint))`,
    );
  },
};

interface KeyRow {
  fingerprint: string;
  name: string;
  public_key: string;
  added_by: string;
  added_at: Date;
}

/**
 * The admission webhook's trusted keys: the policy file's (deployment-wide, changed only in the
 * file) and, when the policy says `apiTrustedKeys: true`, those the admins of the webhook
 * token's team added. Keys are per team because the rest of the decision is: the webhook's
 * token names the team whose findings and signature records count, so one team's admin can
 * never widen what another team's cluster admits. The request path reads the team's keys from
 * a short-TTL cache (TeamKeyCache), never the table per request.
 */
@Injectable()
export class AdmissionTrustedKeysService {
  private readonly fileKeys: ReadonlySet<string>;
  private readonly cache: TeamKeyCache;

  constructor(
    @Inject(PLUGIN_DATABASE) private readonly db: PluginDatabase,
    @Inject(HOST_REQUEST_CONTEXT) private readonly context: HostRequestContext,
    @Optional() @Inject(ADMISSION_POLICY) private readonly policy: AdmissionPolicy | null = null,
  ) {
    this.fileKeys = new Set(policy?.trustedKeys ?? []);
    this.cache = new TeamKeyCache(async (team) => [...this.fileKeys, ...(await this.apiFingerprints(team))]);
  }

  /** Whether the webhook's signature rule is on at all. */
  get signatureRuleEnabled(): boolean {
    return Boolean(this.policy && (this.policy.trustedKeys || this.policy.apiTrustedKeys));
  }

  private get acceptsApiKeys(): boolean {
    return Boolean(this.policy?.apiTrustedKeys);
  }

  /** The keys the request's team trusts: the file's, with the team's API keys when the policy accepts them. */
  trustedForRequest(): Promise<ReadonlySet<string>> | ReadonlySet<string> {
    return this.acceptsApiKeys ? this.cache.get(this.context.requestTeam()) : this.fileKeys;
  }

  async list(): Promise<AdmissionTrustedKeys> {
    const fileKeys: AdmissionTrustedKey[] = (this.policy?.fileTrustedKeys ?? []).map((key) => ({
      fingerprint: key.fingerprint,
      name: `policy file trustedKeys[${key.index}]`,
      publicKey: key.publicKey,
      source: AdmissionTrustedKeySource.FILE,
      addedBy: null,
      addedAt: null,
    }));
    const rows = await this.db.query<KeyRow>(`SELECT fingerprint, name, public_key, added_by, added_at FROM admission_trusted_key WHERE team = $1 ORDER BY name, fingerprint`, [this.context.requestTeam()]);
    return {
      webhookEnabled: this.policy !== null,
      acceptsApiKeys: this.acceptsApiKeys,
      signatureRuleEnabled: this.signatureRuleEnabled,
      maxApiKeys: MAX_API_TRUSTED_KEYS,
      keys: [...fileKeys, ...rows.map(toKey)],
    };
  }

  async add(name: string, publicKey: string): Promise<AdmissionTrustedKey> {
    if (!this.policy) throw new BadInputError('addAdmissionTrustedKey: the admission webhook is off on this API (BULKHEAD_ADMISSION_POLICY_FILE is not set), so no key would be used');
    if (!this.policy.apiTrustedKeys) {
      throw new BadInputError('addAdmissionTrustedKey: the admission policy does not accept keys added through the API: the operator sets "apiTrustedKeys": true in the policy file (BULKHEAD_ADMISSION_POLICY_FILE) to allow it');
    }
    const label = checkName(name);
    const { fingerprint, pem } = readPublicKey(publicKey);
    if (this.fileKeys.has(fingerprint)) throw new BadInputError(`publicKey: ${fingerprint} is already trusted by the admission policy file`);
    const principal = this.context.requirePrincipal();
    const team = this.context.requestTeam();
    const row = await this.db.transaction(async (tx) => {
      // One writer per team at a time, so two concurrent adds cannot pass the cap together.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`admission_trusted_key:${team}`]);
      const [existing] = await tx.query<KeyRow>(`SELECT fingerprint, name, public_key, added_by, added_at FROM admission_trusted_key WHERE team = $1 AND fingerprint = $2`, [team, fingerprint]);
      if (existing) throw new BadInputError(`publicKey: ${fingerprint} is already trusted, as "${existing.name}" (added by ${existing.added_by} at ${new Date(existing.added_at).toISOString()})`);
      const [count] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM admission_trusted_key WHERE team = $1`, [team]);
      if ((count?.n ?? 0) >= MAX_API_TRUSTED_KEYS) throw new BadInputError(`addAdmissionTrustedKey: the team already has ${MAX_API_TRUSTED_KEYS} trusted keys, the most allowed: remove one first`);
      const [inserted] = await tx.query<KeyRow>(
        `INSERT INTO admission_trusted_key (team, fingerprint, name, public_key, added_by, added_by_token) VALUES ($1, $2, $3, $4, $5, $6) RETURNING fingerprint, name, public_key, added_by, added_at`,
        [team, fingerprint, label, pem, principal.name, principal.tokenId],
      );
      return inserted;
    });
    this.cache.invalidate(team);
    if (!row) throw new Error('admission_trusted_key: the insert returned no row');
    return toKey(row);
  }

  async remove(fingerprintArg: string): Promise<AdmissionTrustedKey> {
    const match = FINGERPRINT.exec(fingerprintArg.trim().toLowerCase());
    if (!match) throw new BadInputError('fingerprint: not a key fingerprint (key:<64 hex>)');
    const fingerprint = `key:${match[1]}`;
    const team = this.context.requestTeam();
    // In a WITH: the driver answers a bare DELETE ... RETURNING with [rows, count], a SELECT with its rows.
    const [row] = await this.db.query<KeyRow>(
      `WITH gone AS (DELETE FROM admission_trusted_key WHERE team = $1 AND fingerprint = $2 RETURNING fingerprint, name, public_key, added_by, added_at) SELECT * FROM gone`,
      [team, fingerprint],
    );
    this.cache.invalidate(team);
    if (row) return toKey(row);
    if (this.fileKeys.has(fingerprint)) {
      throw new BadInputError(`fingerprint: ${fingerprint} is trusted by the admission policy file (BULKHEAD_ADMISSION_POLICY_FILE): file keys cannot be removed through the API, only by editing the file and restarting the API`);
    }
    throw new BadInputError(`fingerprint: no trusted key ${fingerprint} in your team`);
  }

  private async apiFingerprints(team: string): Promise<string[]> {
    const rows = await this.db.query<{ fingerprint: string }>(`SELECT fingerprint FROM admission_trusted_key WHERE team = $1`, [team]);
    return rows.map((r) => r.fingerprint);
  }
}

function checkName(name: string): string {
  const label = name.trim();
  if (label.length === 0 || label.length > MAX_NAME_LENGTH) throw new BadInputError(`name: must be 1 to ${MAX_NAME_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(label)) throw new BadInputError('name: control characters are not allowed');
  return label;
}

/** The key's fingerprint and its PEM as Node writes it, or a BadInputError saying what is wrong. */
export function readPublicKey(text: string): { fingerprint: string; pem: string } {
  if (Buffer.byteLength(text, 'utf8') > MAX_PEM_BYTES) throw new BadInputError(`publicKey: larger than ${MAX_PEM_BYTES} bytes`);
  const pemText = text.trim();
  if (!/^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----$/.test(pemText)) {
    throw new BadInputError('publicKey: not one PEM `-----BEGIN PUBLIC KEY-----` block (a fingerprint, a private key or a certificate is refused)');
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pemText, format: 'pem' });
  } catch (error) {
    throw new BadInputError(`publicKey: not a readable public key: ${(error as Error).message}`);
  }
  if (!SIGNING_KEY_TYPES.has(key.asymmetricKeyType ?? '')) throw new BadInputError(`publicKey: a ${key.asymmetricKeyType ?? 'unknown'} key cannot verify image signatures (ECDSA, RSA or Ed25519 keys only)`);
  const der = key.export({ type: 'spki', format: 'der' });
  return { fingerprint: `key:${createHash('sha256').update(der).digest('hex')}`, pem: key.export({ type: 'spki', format: 'pem' }).toString() };
}

function toKey(row: KeyRow): AdmissionTrustedKey {
  return { fingerprint: row.fingerprint, name: row.name, publicKey: row.public_key, source: AdmissionTrustedKeySource.API, addedBy: row.added_by, addedAt: new Date(row.added_at) };
}
