import { SigningFormatError } from './errors';

/**
 * Bounds on untrusted input. Signature material is small: a cosign payload is a few hundred bytes,
 * a bundle a few KiB with a certificate chain. The limits leave wide room for honest documents
 * and keep a hostile one from costing memory or time.
 */
export const LIMITS = {
  /** A PEM file (key, certificate chain). */
  pemBytes: 256 * 1024,
  /** A JSON document: simple-signing payload, DSSE envelope, bundle, manifest, statement. */
  jsonBytes: 16 * 1024 * 1024,
  /** Nesting depth of any JSON document we parse. */
  jsonDepth: 64,
  /** A signature (DER ECDSA, RSA-4096, Ed25519) after base64 decoding. */
  signatureBytes: 1024,
  /** A simple-signing payload or DSSE payload (an in-toto statement may carry a whole SBOM). */
  payloadBytes: 16 * 1024 * 1024,
} as const;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Decodes base64 strictly. Node's Buffer.from(s, 'base64') skips characters it does not know, so
 * garbage would decode to *something*; here anything but a well-formed base64 string is refused.
 * `urlSafe` also accepts the URL alphabet (the DSSE spec allows either), and padding may be
 * omitted there.
 */
export function decodeBase64(value: unknown, what: string, maxBytes: number, opts: { urlSafe?: boolean } = {}): Buffer {
  if (typeof value !== 'string') throw new SigningFormatError(`${what}: expected a base64 string, got ${describe(value)}`);
  const text = value.trim();
  if (text.length > Math.ceil(maxBytes / 3) * 4 + 4) throw new SigningFormatError(`${what}: larger than the limit of ${maxBytes} bytes`);
  const standard = BASE64.test(text) && text.length % 4 === 0;
  const url = opts.urlSafe === true && BASE64URL.test(text) && text.length % 4 !== 1;
  if (!standard && !url) throw new SigningFormatError(`${what}: not valid base64`);
  const bytes = Buffer.from(text, standard ? 'base64' : 'base64url');
  if (bytes.length > maxBytes) throw new SigningFormatError(`${what}: larger than the limit of ${maxBytes} bytes`);
  return bytes;
}

/**
 * JSON.parse with a size and nesting bound checked *before* parsing, so a document of a million
 * nested arrays cannot exhaust the stack. Bytes must be UTF-8.
 */
export function parseJson(input: Uint8Array | string, what: string, maxBytes: number = LIMITS.jsonBytes): unknown {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > maxBytes) throw new SigningFormatError(`${what}: ${size} bytes, larger than the limit of ${maxBytes}`);
  let text: string;
  try {
    text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    throw new SigningFormatError(`${what}: not valid UTF-8`);
  }
  checkDepth(text, what);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SigningFormatError(`${what}: not valid JSON (${(error as Error).message})`);
  }
}

function checkDepth(text: string, what: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > LIMITS.jsonDepth) throw new SigningFormatError(`${what}: JSON nested deeper than ${LIMITS.jsonDepth} levels`);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object at `value`, or an error naming the field. */
export function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) throw new SigningFormatError(`${what}: expected a JSON object, got ${describe(value)}`);
  return value;
}

/** The string at `value`, or an error naming the field. */
export function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new SigningFormatError(`${what}: expected a string, got ${describe(value)}`);
  return value;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value === undefined) return 'nothing';
  return `a ${typeof value}`;
}

const DIGEST = /^sha256:[a-f0-9]{64}$|^sha384:[a-f0-9]{96}$|^sha512:[a-f0-9]{128}$/;

/** An OCI digest (`sha256:<64 hex>`, or sha384/sha512), or an error naming the field. */
export function requireDigest(value: unknown, what: string): string {
  const text = requireString(value, what);
  if (!DIGEST.test(text)) throw new SigningFormatError(`${what}: not a digest of the form sha256:<64 lowercase hex> (got ${JSON.stringify(text.slice(0, 80))})`);
  return text;
}

export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}
