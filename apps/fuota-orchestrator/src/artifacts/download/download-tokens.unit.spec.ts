import { ForbiddenError, UnauthenticatedError } from '@fleet/core';
import { DownloadTokens } from './download-tokens';

const secret = new TextEncoder().encode('s'.repeat(32));
const tokens = new DownloadTokens(secret, 3600);
const now = new Date('2026-03-01T10:00:00Z');
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);
const artifact = '6f1c2e1a-5b7d-4c1e-9a3f-2b8e4d6c0a91';
const device = '0b6f3c2a-7e1d-4f5a-8c9b-3d2e1f0a4b5c';

describe('download tokens', () => {
  it('are issued for one device and one artifact, and expire after the TTL', async () => {
    const { token, expiresAt } = await tokens.issue(artifact, 'meter-42', now);
    expect(expiresAt).toBe('2026-03-01T11:00:00.000Z');
    await expect(tokens.verify(token, artifact, later(3599))).resolves.toBe('meter-42');
    await expect(tokens.verify(token, artifact, later(3606))).rejects.toThrow(
      new UnauthenticatedError('download token expired: ask for a new link'),
    );
  });

  it('fit an LwM2M Package URI (255 bytes) with a UUID artifact and device', async () => {
    const { token } = await new DownloadTokens(secret, 30 * 86_400).issue(artifact, device, now);
    const uri = `https://fuota.fleet.example.com/firmware/${artifact}/package?token=${token}`;
    expect(uri.length).toBeLessThanOrEqual(255);
  });

  it('keep device ids that contain dots', async () => {
    const { token } = await tokens.issue(artifact, 'site.7.meter-42', now);
    await expect(tokens.verify(token, artifact, now)).resolves.toBe('site.7.meter-42');
  });

  it('open only the artifact they were issued for (403)', async () => {
    const { token } = await tokens.issue(artifact, 'meter-42', now);
    await expect(tokens.verify(token, 'art-2', now)).rejects.toThrow(ForbiddenError);
  });

  it.each([
    ['missing', async () => undefined, 'missing download token'],
    ['malformed', async () => 'not.a.jwt', 'download token is malformed'],
    [
      'an operator JWT',
      async () => 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJvIn0.c2ln',
      'download token is malformed',
    ],
    [
      'signed with another secret',
      async () =>
        (await new DownloadTokens(new TextEncoder().encode('x'.repeat(32)), 60).issue(artifact, 'm', now))
          .token,
      'download token signature is invalid',
    ],
    [
      'issued to another device',
      async () => (await tokens.issue(artifact, 'meter-42', now)).token.replace('meter-42', 'meter-43'),
      'download token signature is invalid',
    ],
    [
      'with its expiry pushed back',
      async () => {
        const parts = (await tokens.issue(artifact, 'm', now)).token.split('.');
        parts[2] = (parseInt(parts[2]!, 36) + 86_400).toString(36);
        return parts.join('.');
      },
      'download token signature is invalid',
    ],
  ])('are refused when %s (401)', async (_what, make, message) => {
    const token = await make();
    const verifying = tokens.verify(token, artifact, now);
    await expect(verifying).rejects.toThrow(UnauthenticatedError);
    await expect(verifying).rejects.toThrow(message);
  });
});
