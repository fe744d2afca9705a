import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** The variable holding the key that encrypts webhook signing secrets at rest. */
export const NOTIFY_SECRET_KEY_SETTING = 'BULKHEAD_NOTIFY_SECRET_KEY';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** First byte of every sealed value: the layout below, so a later layout (key rotation) can be told apart. */
const SEALED_V1 = 1;

/** A secret cannot be stored or opened: the key is missing or wrong, or the stored bytes were altered. */
export class NotifySecretError extends Error {
  override readonly name = 'NotifySecretError';
}

/**
 * AES-256-GCM for channel secrets, bound to the row (additional data: the channel's team and id),
 * so a sealed secret copied into another channel or team does not open. A database dump or a
 * read-only SQL injection therefore yields no key that can forge deliveries to a receiver.
 */
export class NotifySecretBox {
  private constructor(private readonly key: Buffer | undefined) {}

  /**
   * From BULKHEAD_NOTIFY_SECRET_KEY (32 bytes, base64). Unset: a box that refuses to seal or open
   * (an API without webhook channels starts without it). Malformed: an error naming the variable
   * and the problem, never the value (start-up stops there).
   */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): NotifySecretBox {
    const text = env[NOTIFY_SECRET_KEY_SETTING]?.trim();
    if (!text) return new NotifySecretBox(undefined);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) throw new NotifySecretError(`${NOTIFY_SECRET_KEY_SETTING} is not base64 (make one with \`openssl rand -base64 32\`)`);
    const key = Buffer.from(text, 'base64');
    if (key.length !== KEY_BYTES) throw new NotifySecretError(`${NOTIFY_SECRET_KEY_SETTING} must decode to ${KEY_BYTES} bytes (got ${key.length})`);
    return new NotifySecretBox(key);
  }

  get configured(): boolean {
    return this.key !== undefined;
  }

  /** Layout: version, IV, tag, ciphertext. */
  seal(secret: string, channel: { team: string; id: string }): Buffer {
    const key = this.requireKey('store a webhook signing secret');
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(channel));
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(SEALED_V1), iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, channel: { team: string; id: string }): string {
    const key = this.requireKey("open the channel's signing secret");
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== SEALED_V1) throw new NotifySecretError('stored signing secret: unknown or truncated encryption layout');
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 1 + IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(channel));
    decipher.setAuthTag(sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new NotifySecretError(`stored signing secret does not decrypt: ${NOTIFY_SECRET_KEY_SETTING} is not the key it was stored with, or the row was altered`);
    }
  }

  private requireKey(what: string): Buffer {
    if (!this.key) throw new NotifySecretError(`${NOTIFY_SECRET_KEY_SETTING} is not set: the server cannot ${what} (secrets are kept only encrypted; set a 32-byte base64 key)`);
    return this.key;
  }
}

function aad(channel: { team: string; id: string }): Buffer {
  return Buffer.from(`bulkhead.notify-channel\n${channel.team}\n${channel.id}`, 'utf8');
}
