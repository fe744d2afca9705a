import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { BadInputError } from '@bulkhead/plugin-sdk';
import type { PluginDatabase } from '@bulkhead/plugin-sdk/api';
import { SERVER_KEY_ALGORITHM, type ImportingKeyProvider, type SigningKeyInfo } from './key-provider';
import { publicKeyFingerprint } from './fingerprint';
import { seal, unseal } from './master-key';

const LOCAL = 'local';
/** Key names: what an operator types in a mutation or a task input. */
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface KeyRow {
  id: string;
  name: string;
  provider: string;
  algorithm: string;
  public_key_pem: string;
  fingerprint: string;
  created_at: Date;
}

const PUBLIC_COLUMNS = 'id, name, provider, algorithm, public_key_pem, fingerprint, created_at';

export function requireKeyName(name: string): string {
  if (!KEY_NAME.test(name)) throw new BadInputError(`key name ${JSON.stringify(name.slice(0, 140))}: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  return name;
}

/** Throws unless `key` is an ECDSA P-256 private key (the one algorithm server keys use). */
function requireP256(key: KeyObject): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    throw new BadInputError(`server signing keys are ECDSA P-256; this key is ${key.asymmetricKeyType ?? 'unknown'}${curve ? ` (${curve})` : ''}`);
  }
}

/**
 * Keys in the plugin's `signer_key` table of one team, private parts sealed with AES-256-GCM
 * under the master key (bound to team and key id). The master key is asked for only when a
 * private key is written or used, so listing public keys works without it.
 */
export class LocalKeyProvider implements ImportingKeyProvider {
  readonly name = LOCAL;

  constructor(
    private readonly db: Pick<PluginDatabase, 'query'>,
    private readonly team: string,
    private readonly masterKey: () => Buffer,
  ) {}

  async create(name: string): Promise<SigningKeyInfo> {
    requireKeyName(name);
    const masterKey = this.masterKey();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return this.store(name, privateKey, masterKey);
  }

  async importKey(name: string, pkcs8Der: Buffer): Promise<SigningKeyInfo> {
    requireKeyName(name);
    const masterKey = this.masterKey();
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: pkcs8Der, format: 'der', type: 'pkcs8' });
    } catch {
      throw new BadInputError('the imported private key is not a PKCS#8 key');
    }
    requireP256(key);
    return this.store(name, key, masterKey);
  }

  async list(): Promise<SigningKeyInfo[]> {
    const rows = await this.db.query<KeyRow>(`SELECT ${PUBLIC_COLUMNS} FROM signer_key WHERE team = $1 ORDER BY created_at, id`, [this.team]);
    return rows.map(infoOf);
  }

  async find(idOrName: string): Promise<SigningKeyInfo | null> {
    const column = UUID.test(idOrName) ? 'id' : 'name';
    const rows = await this.db.query<KeyRow>(`SELECT ${PUBLIC_COLUMNS} FROM signer_key WHERE team = $1 AND ${column} = $2`, [this.team, idOrName]);
    return rows[0] ? infoOf(rows[0]) : null;
  }

  async sign(keyId: string, payload: Buffer): Promise<Buffer> {
    if (!UUID.test(keyId)) throw new BadInputError(`signing key id ${JSON.stringify(keyId.slice(0, 80))} is not a UUID`);
    const rows = await this.db.query<{ sealed_private_key: Buffer | null }>('SELECT sealed_private_key FROM signer_key WHERE team = $1 AND id = $2', [this.team, keyId]);
    const sealed = rows[0]?.sealed_private_key;
    if (!rows[0]) throw new BadInputError(`no signing key ${keyId} in this team`);
    if (!sealed) throw new BadInputError(`signing key ${keyId} has no private key in the local provider`);
    const der = unseal(this.masterKey(), sealed, sealContext(this.team, keyId));
    try {
      const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      return cryptoSign('sha256', payload, { key, dsaEncoding: 'der' });
    } finally {
      der.fill(0);
    }
  }

  private async store(name: string, privateKey: KeyObject, masterKey: Buffer): Promise<SigningKeyInfo> {
    const id = randomUUID();
    const publicKey = createPublicKey(privateKey);
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const der = privateKey.export({ type: 'pkcs8', format: 'der' });
    const sealed = seal(masterKey, der, sealContext(this.team, id));
    der.fill(0);
    try {
      const rows = await this.db.query<KeyRow>(
        `INSERT INTO signer_key (team, id, name, provider, algorithm, public_key_pem, fingerprint, sealed_private_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${PUBLIC_COLUMNS}`,
        [this.team, id, name, LOCAL, SERVER_KEY_ALGORITHM, publicKeyPem, publicKeyFingerprint(publicKey), sealed],
      );
      return infoOf(rows[0] as KeyRow);
    } catch (error) {
      if (sqlState(error) === '23505') throw new BadInputError(`a signing key named ${JSON.stringify(name)} already exists`);
      throw error;
    }
  }
}

function sealContext(team: string, keyId: string): string {
  return `bulkhead.signer/key/v1\n${team}\n${keyId}`;
}

function infoOf(row: KeyRow): SigningKeyInfo {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider,
    algorithm: SERVER_KEY_ALGORITHM,
    publicKeyPem: row.public_key_pem,
    fingerprint: row.fingerprint,
    createdAt: row.created_at,
  };
}

/** Postgres' SQLSTATE of a driver error, whether TypeORM wrapped it or not. */
function sqlState(error: unknown): string | undefined {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | undefined;
  const code = e?.code ?? e?.driverError?.code;
  return typeof code === 'string' ? code : undefined;
}
