import { afterAttempt, retryDelayMs, wants, type WebhookSubscription } from './webhook';
import { sign, verifySignature } from './webhooks/webhook-signature';

const webhook: WebhookSubscription = {
  webhookId: 'w1',
  url: 'https://example.org/hook',
  eventTypes: ['AlertRaised', 'AlertEscalated'],
  minSeverity: 'warning',
  ruleIds: null,
};

describe('webhooks', () => {
  it('given its filters, then a webhook wants only matching events', () => {
    expect(wants(webhook, { eventType: 'AlertRaised', severity: 'critical', ruleId: 'r' })).toBe(true);
    expect(wants(webhook, { eventType: 'AlertRaised', severity: 'info', ruleId: 'r' })).toBe(false);
    expect(wants(webhook, { eventType: 'AlertCleared', severity: 'critical', ruleId: 'r' })).toBe(false);
    expect(
      wants(
        { ...webhook, ruleIds: ['other'] },
        { eventType: 'AlertRaised', severity: 'critical', ruleId: 'r' },
      ),
    ).toBe(false);
  });

  it('given failures, then retries back off exponentially up to a cap and end dead after the last attempt', () => {
    expect([1, 2, 3, 4, 10].map((n) => retryDelayMs(n, 5_000, 60_000))).toEqual([
      5_000, 10_000, 20_000, 40_000, 60_000,
    ]);
    const policy = { maxAttempts: 3, baseMs: 1_000, maxMs: 10_000 };
    expect(afterAttempt(false, 1, 0, policy)).toEqual({ status: 'pending', nextAttemptAt: 1_000 });
    expect(afterAttempt(false, 3, 0, policy)).toEqual({ status: 'dead' });
    expect(afterAttempt(true, 3, 0, policy)).toEqual({ status: 'delivered' });
  });

  it('given a signed body, then only the same secret, body and a recent timestamp verify', () => {
    const body = '{"eventType":"AlertRaised"}';
    const header = sign('s3cret', body, 1_700_000_000);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature('s3cret', header, body, 1_700_000_100)).toBe(true);
    expect(verifySignature('other', header, body, 1_700_000_100)).toBe(false);
    expect(verifySignature('s3cret', header, `${body} `, 1_700_000_100)).toBe(false);
    expect(verifySignature('s3cret', header, body, 1_700_001_000)).toBe(false);
    expect(verifySignature('s3cret', undefined, body, 1_700_000_000)).toBe(false);
  });
});
