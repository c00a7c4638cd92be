import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ForbiddenError, UnauthenticatedError } from '@fleet/core';

/** What the MAC of a download token is bound to: they open packages and nothing else. */
export const DOWNLOAD_AUDIENCE = 'firmware-download';
/** Bytes of the HMAC-SHA256 kept (128 bits, as S3 presigned URLs keep more for less reason). */
const MAC_BYTES = 16;

export interface IssuedDownloadToken {
  readonly token: string;
  readonly expiresAt: string;
}

/**
 * Short-lived, per-device, per-artifact download credentials that fit an LwM2M Package URI
 * (/5/0/1 holds at most 255 bytes, so a JWT — about 280 characters — does not):
 * `<deviceId>.<artifact tag>.<expiry, base 36 seconds>.<HMAC-SHA256 truncated to 128 bits>`, the
 * MAC over audience, artifact id, device id and expiry. The artifact tag (8 hex digits of the
 * artifact id's SHA-256) only tells a token for another artifact (403) from a forged one (401).
 * HMAC because only this service issues and checks them; the URL carries it because devices cannot
 * present a bearer header through a Package URI.
 */
export class DownloadTokens {
  constructor(
    private readonly secret: Uint8Array,
    readonly ttlSeconds: number,
  ) {}

  async issue(artifactId: string, deviceId: string, now: Date = new Date()): Promise<IssuedDownloadToken> {
    const expiresAt = Math.floor(now.getTime() / 1000) + this.ttlSeconds;
    const token = [
      deviceId,
      artifactTag(artifactId),
      expiresAt.toString(36),
      this.mac(artifactId, deviceId, expiresAt),
    ].join('.');
    return { token, expiresAt: new Date(expiresAt * 1000).toISOString() };
  }

  /**
   * @returns the device the token was issued to
   * @throws UnauthenticatedError when the token is missing, malformed, expired or not ours;
   *   ForbiddenError when it is valid but for another artifact
   */
  async verify(token: string | undefined, artifactId: string, now: Date = new Date()): Promise<string> {
    if (!token) throw new UnauthenticatedError('missing download token (?token=...)', { reason: 'missing' });
    const parts = token.split('.');
    const [tag, expiry, mac] = parts.slice(-3);
    const deviceId = parts.slice(0, -3).join('.');
    const expiresAt = expiry === undefined ? NaN : parseInt(expiry, 36);
    if (
      parts.length < 4 ||
      deviceId === '' ||
      !/^[0-9a-f]{8}$/.test(tag!) ||
      !/^[0-9a-z]{1,10}$/.test(expiry!) ||
      !Number.isFinite(expiresAt)
    ) {
      throw new UnauthenticatedError('download token is malformed', { reason: 'malformed' });
    }
    if (tag !== artifactTag(artifactId)) {
      throw new ForbiddenError(`this download token is for another artifact, not ${artifactId}`, {
        reason: 'wrong-artifact',
      });
    }
    const expected = Buffer.from(this.mac(artifactId, deviceId, expiresAt));
    const given = Buffer.from(mac!);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new UnauthenticatedError('download token signature is invalid (not issued by this service)', {
        reason: 'bad-signature',
      });
    }
    // A few seconds of tolerance for the device's and the server's clocks.
    if (expiresAt + 5 < now.getTime() / 1000) {
      throw new UnauthenticatedError('download token expired: ask for a new link', { reason: 'expired' });
    }
    return deviceId;
  }

  private mac(artifactId: string, deviceId: string, expiresAt: number): string {
    return createHmac('sha256', this.secret)
      .update(`${DOWNLOAD_AUDIENCE}\n${artifactId}\n${deviceId}\n${expiresAt}`)
      .digest()
      .subarray(0, MAC_BYTES)
      .toString('base64url');
  }
}

const artifactTag = (artifactId: string): string =>
  createHash('sha256').update(artifactId).digest('hex').slice(0, 8);
