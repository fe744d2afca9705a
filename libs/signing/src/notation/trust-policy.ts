import { asObject, asString, parseStrictJson } from './encoding';
import { NotationError } from './errors';
import { MAX_DOCUMENT_BYTES } from './limits';
import { STORE_NAME, TRUST_STORE_TYPES, type TrustStoreType } from './trust-store';
import type { DistinguishedName } from './x509';

// notation's trustpolicy.json (specs/trust-store-trust-policy.md, version 1.0).

export type VerificationLevel = 'strict' | 'permissive' | 'audit' | 'skip';
export type ValidationType = 'integrity' | 'authenticity' | 'authenticTimestamp' | 'expiry' | 'revocation';
export type ValidationAction = 'enforce' | 'log' | 'skip';

export const VALIDATIONS: readonly ValidationType[] = ['integrity', 'authenticity', 'authenticTimestamp', 'expiry', 'revocation'];

/** The spec's table: what each level does with each validation. */
const LEVELS: Record<VerificationLevel, Record<ValidationType, ValidationAction>> = {
  strict: { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'enforce', expiry: 'enforce', revocation: 'enforce' },
  permissive: { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' },
  audit: { integrity: 'enforce', authenticity: 'log', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' },
  skip: { integrity: 'skip', authenticity: 'skip', authenticTimestamp: 'skip', expiry: 'skip', revocation: 'skip' },
};

/** Which override values each validation accepts ("Custom Verification Level"). */
const OVERRIDES: Record<Exclude<ValidationType, 'integrity'>, ValidationAction[]> = {
  authenticity: ['enforce', 'log'],
  authenticTimestamp: ['enforce', 'log'],
  expiry: ['enforce', 'log'],
  revocation: ['enforce', 'log', 'skip'],
};

export interface TrustedIdentity {
  /** As written in the policy. */
  text: string;
  /** Attribute type → value, for `x509.subject:` identities. */
  attributes: Map<string, string>;
}

export interface TrustPolicy {
  name: string;
  registryScopes: string[];
  level: VerificationLevel;
  actions: Record<ValidationType, ValidationAction>;
  /** notation 1.2's `verifyTimestamp`: check the timestamp always, or only once the certificate expired. */
  verifyTimestamp: 'always' | 'afterCertExpiry';
  trustStores: Array<{ type: TrustStoreType; name: string }>;
  /** undefined means `*`: any identity the trust stores vouch for. */
  trustedIdentities?: TrustedIdentity[];
}

export interface TrustPolicyDocument {
  version: '1.0';
  trustPolicies: TrustPolicy[];
}

function policyError(message: string): NotationError {
  return new NotationError('policy', `trust policy: ${message}`);
}

/** Parses and validates a trustpolicy.json (bytes or text); every rule of the spec is checked here, once. */
export function parseTrustPolicy(input: string | Uint8Array): TrustPolicyDocument {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  if (text.length > MAX_DOCUMENT_BYTES) throw policyError(`the document is over ${MAX_DOCUMENT_BYTES} bytes`);
  let doc: Record<string, unknown>;
  try {
    doc = asObject(parseStrictJson(text, 'trustpolicy.json'), 'trustpolicy.json');
  } catch (error) {
    throw policyError((error as Error).message);
  }
  if (doc.version !== '1.0') throw policyError(`version is ${JSON.stringify(doc.version)}; the supported version is "1.0"`);
  if (!Array.isArray(doc.trustPolicies) || doc.trustPolicies.length === 0) throw policyError('trustPolicies is missing or empty');
  const policies = doc.trustPolicies.map((p, i) => readPolicy(p, i));
  const names = new Set<string>();
  const scopes = new Map<string, string>();
  for (const p of policies) {
    if (names.has(p.name)) throw policyError(`two policies are named ${JSON.stringify(p.name)}`);
    names.add(p.name);
    for (const s of p.registryScopes) {
      const other = scopes.get(s);
      if (other) throw policyError(`registry scope ${JSON.stringify(s)} is in both ${JSON.stringify(other)} and ${JSON.stringify(p.name)}`);
      scopes.set(s, p.name);
    }
  }
  return { version: '1.0', trustPolicies: policies };
}

function readPolicy(value: unknown, index: number): TrustPolicy {
  const where = `trustPolicies[${index}]`;
  let p: Record<string, unknown>;
  try {
    p = asObject(value, where);
  } catch (error) {
    throw policyError((error as Error).message);
  }
  const name = typeof p.name === 'string' ? p.name.trim() : '';
  if (!name) throw policyError(`${where} has no name`);
  const at = `policy ${JSON.stringify(name)}`;
  const registryScopes = readScopes(p.registryScopes, at);
  const sv = p.signatureVerification;
  if (typeof sv !== 'object' || sv === null || Array.isArray(sv)) throw policyError(`${at} has no signatureVerification object`);
  const { level, override, verifyTimestamp } = sv as Record<string, unknown>;
  if (!['strict', 'permissive', 'audit', 'skip'].includes(level as string)) throw policyError(`${at}: signatureVerification.level ${JSON.stringify(level)} is not strict, permissive, audit or skip`);
  const actions = { ...LEVELS[level as VerificationLevel] };
  if (override !== undefined) {
    if (level === 'skip') throw policyError(`${at}: the skip level cannot be overridden`);
    if (typeof override !== 'object' || override === null || Array.isArray(override)) throw policyError(`${at}: signatureVerification.override is not an object`);
    for (const [key, action] of Object.entries(override)) {
      if (key === 'integrity') throw policyError(`${at}: integrity cannot be overridden`);
      const allowed = OVERRIDES[key as keyof typeof OVERRIDES];
      if (!allowed) throw policyError(`${at}: override key ${JSON.stringify(key)} is not authenticity, authenticTimestamp, expiry or revocation`);
      if (!allowed.includes(action as ValidationAction)) throw policyError(`${at}: override ${key} is ${JSON.stringify(action)}; allowed: ${allowed.join(', ')}`);
      actions[key as ValidationType] = action as ValidationAction;
    }
  }
  if (verifyTimestamp !== undefined && verifyTimestamp !== 'always' && verifyTimestamp !== 'afterCertExpiry') throw policyError(`${at}: verifyTimestamp ${JSON.stringify(verifyTimestamp)} is not "always" or "afterCertExpiry"`);
  const policy: TrustPolicy = {
    name,
    registryScopes,
    level: level as VerificationLevel,
    actions,
    verifyTimestamp: (verifyTimestamp as TrustPolicy['verifyTimestamp']) ?? 'always',
    trustStores: [],
  };
  const stores = p.trustStores ?? [];
  const identities = p.trustedIdentities ?? [];
  if (!Array.isArray(stores) || !Array.isArray(identities)) throw policyError(`${at}: trustStores and trustedIdentities must be arrays`);
  if (level === 'skip') {
    if (stores.length > 0 || identities.length > 0) throw policyError(`${at}: a skip policy must not name trustStores or trustedIdentities`);
    if (registryScopes.includes('*')) throw policyError(`${at}: the skip level cannot apply to the global scope "*"`);
    policy.trustedIdentities = [];
    return policy;
  }
  if (stores.length === 0) throw policyError(`${at} has no trustStores`);
  policy.trustStores = stores.map((s) => readStoreRef(s, at));
  if (identities.length === 0) throw policyError(`${at} has no trustedIdentities`);
  policy.trustedIdentities = readIdentities(identities, at);
  return policy;
}

function readScopes(value: unknown, at: string): string[] {
  if (!Array.isArray(value) || value.length === 0) throw policyError(`${at} has no registryScopes`);
  const scopes = value.map((s) => {
    if (typeof s !== 'string' || !s) throw policyError(`${at}: a registry scope is not a non-empty string`);
    return s;
  });
  if (new Set(scopes).size !== scopes.length) throw policyError(`${at} lists a registry scope twice`);
  if (scopes.includes('*')) {
    if (scopes.length > 1) throw policyError(`${at}: the global scope "*" must be the only registry scope`);
    return scopes;
  }
  for (const s of scopes) {
    // Fully qualified: registry host, then a repository path, no tag/digest, no wildcard.
    if (s.includes('*') || !/^[a-zA-Z0-9.-]+(:[0-9]+)?\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(s)) {
      throw policyError(`${at}: registry scope ${JSON.stringify(s)} is not a fully qualified repository (registry/namespace/repository) or "*"`);
    }
  }
  return scopes;
}

function readStoreRef(value: unknown, at: string): { type: TrustStoreType; name: string } {
  const s = typeof value === 'string' ? value : '';
  const colon = s.indexOf(':');
  const type = s.slice(0, colon) as TrustStoreType;
  const name = s.slice(colon + 1);
  if (colon < 0 || !TRUST_STORE_TYPES.includes(type) || !STORE_NAME.test(name)) {
    throw policyError(`${at}: trust store ${JSON.stringify(value)} is not "ca:<name>", "signingAuthority:<name>" or "tsa:<name>"`);
  }
  return { type, name };
}

function readIdentities(values: unknown[], at: string): TrustedIdentity[] | undefined {
  if (values.includes('*')) {
    if (values.length > 1) throw policyError(`${at}: the wildcard trusted identity "*" must be the only one`);
    return undefined;
  }
  const identities = values.map((v) => {
    const text = asPolicyString(v, at);
    const match = /^x509\.subject\s*:(.*)$/s.exec(text);
    if (!match) throw policyError(`${at}: trusted identity ${JSON.stringify(text)} does not start with "x509.subject:"`);
    let attributes: Map<string, string>;
    try {
      attributes = parseDistinguishedName(match[1]);
    } catch (error) {
      throw policyError(`${at}: trusted identity ${JSON.stringify(text)}: ${(error as Error).message}`);
    }
    for (const required of ['C', 'ST', 'O']) {
      if (!attributes.has(required)) throw policyError(`${at}: trusted identity ${JSON.stringify(text)} lacks ${required}; C, ST and O are required`);
    }
    return { text, attributes };
  });
  for (let i = 0; i < identities.length; i++) {
    for (let j = i + 1; j < identities.length; j++) {
      if (isSubset(identities[i].attributes, identities[j].attributes) || isSubset(identities[j].attributes, identities[i].attributes)) {
        throw policyError(`${at}: trusted identities ${JSON.stringify(identities[i].text)} and ${JSON.stringify(identities[j].text)} overlap`);
      }
    }
  }
  return identities;
}

function asPolicyString(value: unknown, at: string): string {
  try {
    return asString(value, `${at}: a trusted identity`);
  } catch (error) {
    throw policyError((error as Error).message);
  }
}

/**
 * `C=US, ST=WA, O=wabbit-networks.io, CN=x` to a map of attribute type (upper case) → value.
 * Escapes per the spec: `\,` `\;` `\\` and `\ ` (a leading or trailing space); `;` is an RDN
 * separator like `,`. An attribute type may appear once.
 */
export function parseDistinguishedName(text: string): Map<string, string> {
  // Characters with an `escaped` flag: an escaped `,` `;` `=` or space is data, never syntax.
  type Char = { ch: string; escaped: boolean };
  const rdns: Char[][] = [[]];
  let escape = false;
  for (const ch of text) {
    if (escape) {
      rdns[rdns.length - 1].push({ ch, escaped: true });
      escape = false;
    } else if (ch === '\\') escape = true;
    else if (ch === ',' || ch === ';') rdns.push([]);
    else rdns[rdns.length - 1].push({ ch, escaped: false });
  }
  if (escape) throw new Error('it ends with a lone backslash');
  const trim = (chars: Char[]) => {
    let start = 0;
    let end = chars.length;
    while (start < end && chars[start].ch === ' ' && !chars[start].escaped) start++;
    while (end > start && chars[end - 1].ch === ' ' && !chars[end - 1].escaped) end--;
    return chars.slice(start, end).map((c) => c.ch).join('');
  };
  const map = new Map<string, string>();
  for (const rdn of rdns) {
    const eq = rdn.findIndex((c) => c.ch === '=' && !c.escaped);
    const raw = rdn.map((c) => c.ch).join('').trim();
    if (eq < 0) throw new Error(`${JSON.stringify(raw)} is not TYPE=value`);
    const type = trim(rdn.slice(0, eq)).toUpperCase();
    const value = trim(rdn.slice(eq + 1));
    if (!/^[A-Z][A-Z0-9-]*$|^[0-9]+(\.[0-9]+)+$/.test(type)) throw new Error(`${JSON.stringify(type)} is not an attribute type`);
    if (map.has(type)) throw new Error(`the attribute ${type} appears twice`);
    map.set(type, value);
  }
  return map;
}

function isSubset(a: Map<string, string>, b: Map<string, string>): boolean {
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** True when every attribute of the identity has the same value in the certificate's subject. */
export function identityMatches(identity: TrustedIdentity, subject: DistinguishedName): boolean {
  const cert = new Map<string, string[]>();
  for (const { type, value } of subject) cert.set(type.toUpperCase(), [...(cert.get(type.toUpperCase()) ?? []), value]);
  for (const [type, value] of identity.attributes) {
    const values = cert.get(type);
    // A subject with the attribute twice (two OUs) cannot be matched unambiguously.
    if (!values || values.length !== 1 || values[0] !== value) return false;
  }
  return true;
}

/**
 * The repository an artifact reference names (`registry/ns/repo` from `registry/ns/repo:tag` or
 * `…@sha256:…`), the string registry scopes are compared with.
 */
export function repositoryOf(reference: string): string {
  let ref = reference.trim();
  const at = ref.indexOf('@');
  if (at >= 0) ref = ref.slice(0, at);
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) ref = ref.slice(0, colon);
  if (slash < 0) throw new NotationError('policy', `artifact reference ${JSON.stringify(reference)} is not fully qualified (registry/repository)`);
  return ref;
}

/** The one policy for an artifact: an exact scope match first, then the global "*" policy. */
export function selectTrustPolicy(doc: TrustPolicyDocument, artifactReference: string): TrustPolicy {
  const repository = repositoryOf(artifactReference);
  const exact = doc.trustPolicies.find((p) => p.registryScopes.includes(repository));
  if (exact) return exact;
  const global = doc.trustPolicies.find((p) => p.registryScopes.includes('*'));
  if (global) return global;
  throw new NotationError('policy', `no trust policy applies to ${repository} (no registry scope names it and there is no global "*" policy)`);
}
