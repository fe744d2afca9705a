import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NotationError } from './errors';
import { MAX_DOCUMENT_BYTES, MAX_STORE_CERTIFICATES } from './limits';
import { parseCertificateFile, type Certificate } from './x509';

/** The three kinds of named store of notation's trust store (`x509/<type>/<name>/`). */
export type TrustStoreType = 'ca' | 'signingAuthority' | 'tsa';
export const TRUST_STORE_TYPES: readonly TrustStoreType[] = ['ca', 'signingAuthority', 'tsa'];

/** Names notation accepts for a named store (and so for a folder). */
export const STORE_NAME = /^[a-zA-Z0-9_.-]+$/;

export interface TrustStore {
  /** The certificates of one named store; throws NotationError('policy') when it does not exist. */
  certificates(type: TrustStoreType, name: string): Certificate[];
}

/**
 * notation's trust store on disk: `<root>/x509/{ca,signingAuthority,tsa}/<name>/*.{pem,crt,cer}`
 * (root is notation's `truststore` folder). Each named store is read when a policy first names
 * it, so a broken store nobody uses does not stop verification. Files must be regular files
 * (a symlink could point anywhere; notation refuses them too) holding PEM or DER certificates.
 */
export class FileTrustStore implements TrustStore {
  private readonly cache = new Map<string, Certificate[]>();
  /** The folder holding `x509/`. */
  readonly root: string;

  /**
   * `dir` is notation's `truststore` folder (holding `x509/`); notation's configuration folder
   * (holding `truststore/x509/`) is accepted too, as is the `x509` folder itself.
   */
  constructor(dir: string) {
    const candidates = [dir, path.join(dir, 'truststore'), path.dirname(dir)];
    const found = candidates.find((c, i) => (i < 2 || path.basename(dir) === 'x509') && isDirectory(path.join(c, 'x509')));
    if (!found) throw new NotationError('policy', `trust store folder ${dir} has no x509/ folder (expected x509/{ca,signingAuthority,tsa}/<name>/ certificate files)`);
    this.root = found;
  }

  certificates(type: TrustStoreType, name: string): Certificate[] {
    if (!TRUST_STORE_TYPES.includes(type)) throw new NotationError('policy', `trust store type ${JSON.stringify(type)} is not ca, signingAuthority or tsa`);
    if (!STORE_NAME.test(name)) throw new NotationError('policy', `trust store name ${JSON.stringify(name)} may only use letters, digits, '_', '.' and '-'`);
    const key = `${type}:${name}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const dir = path.join(this.root, 'x509', type, name);
    let entries: string[];
    try {
      if (!lstatSync(dir).isDirectory()) throw new Error('not a directory');
      entries = readdirSync(dir).sort();
    } catch {
      throw new NotationError('policy', `trust store ${key} does not exist (no folder ${dir})`);
    }
    const certs: Certificate[] = [];
    for (const entry of entries) {
      if (!/\.(pem|crt|cer)$/i.test(entry)) continue;
      const file = path.join(dir, entry);
      const stat = lstatSync(file);
      if (!stat.isFile()) throw new NotationError('policy', `trust store ${key}: ${entry} is not a regular file (symlinks and folders are refused)`);
      if (stat.size > MAX_DOCUMENT_BYTES) throw new NotationError('policy', `trust store ${key}: ${entry} is ${stat.size} bytes (at most ${MAX_DOCUMENT_BYTES})`);
      try {
        certs.push(...parseCertificateFile(readFileSync(file), `trust store ${key}: ${entry}`));
      } catch (error) {
        throw new NotationError('policy', (error as Error).message);
      }
      if (certs.length > MAX_STORE_CERTIFICATES) throw new NotationError('policy', `trust store ${key} has more than ${MAX_STORE_CERTIFICATES} certificates`);
    }
    if (certs.length === 0) throw new NotationError('policy', `trust store ${key} has no certificate (.pem, .crt or .cer) in ${dir}`);
    this.cache.set(key, certs);
    return certs;
  }
}

function isDirectory(dir: string): boolean {
  try {
    return lstatSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** A trust store held in memory, keyed `type:name` (server side, tests). */
export class MemoryTrustStore implements TrustStore {
  constructor(private readonly stores: Record<string, Certificate[]>) {}

  certificates(type: TrustStoreType, name: string): Certificate[] {
    const certs = this.stores[`${type}:${name}`];
    if (!certs || certs.length === 0) throw new NotationError('policy', `trust store ${type}:${name} does not exist`);
    return certs;
  }
}
