import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { randomBase62 } from '../shared/randomText.js';

/**
 * Webhook signing secrets: generated at random, shown once, stored encrypted (AES-256-GCM) under
 * a key derived (HKDF-SHA256) from the admin key's hash: the one secret every node of a deployment
 * already shares, so no extra setting is needed. The webhook id is bound in as associated data, so
 * a sealed secret copied onto another row does not open. Rotating the admin key makes every stored
 * secret unreadable: deliveries of those webhooks then fail (the webhook is disabled with a reason
 * saying so) until each secret is rotated (POST /links/webhooks/{id}/rotate-secret).
 */

export const generateWebhookSecret = (): string => `whsec_${randomBase62(32)}`;

const VERSION = 'v1';

export class SecretBox {
  private readonly key: Buffer;

  constructor(adminKeyHash: string) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(adminKeyHash, 'hex'), Buffer.alloc(0), 'mythic/webhook-secret/v1', 32));
  }

  seal(secret: string, webhookId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(webhookId, 'utf8'));
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), sealed.toString('base64url')].join('.');
  }

  /** The secret; null when it cannot be opened (sealed under another admin key, or altered). */
  open(sealed: string, webhookId: string): string | null {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== VERSION || iv === undefined || tag === undefined || data === undefined) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(webhookId, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}

/** The Mythic-Signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const digest = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${digest}`;
}
