import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { eventually } from '@fleet/testing';
import { AlertingHarness } from '../support/alerting-harness';
import { freePort } from '../support/service-process';

interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly answered: number;
}

/** A webhook receiver in the test process: answers `status` (0: never answers) and records calls. */
class Receiver {
  status = 200;
  readonly calls: Received[] = [];
  private server?: Server;
  port = 0;

  async start(): Promise<this> {
    this.port ||= await freePort();
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.calls.push({
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          answered: this.status,
        });
        if (this.status === 0) return;
        res.writeHead(this.status).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }
}

/** The receiver's side of docs/alerting.md: HMAC-SHA256 of `<t>.<raw body>`, constant-time compare. */
function validSignature(secret: string, header: string | string[] | undefined, body: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(header));
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${body}`).digest();
  return (
    Math.abs(Date.now() / 1000 - Number(match[1])) < 300 &&
    timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'))
  );
}

describe('alerting: webhooks', () => {
  const h = new AlertingHarness();
  const flaky = new Receiver();
  const broken = new Receiver();
  const hanging = new Receiver();
  const secret = 'a-shared-secret-of-the-receiver';
  const webhooks: Record<string, string> = {};
  let ruleId: string;

  beforeAll(async () => {
    await Promise.all([flaky.start(), broken.start(), hanging.start()]);
    broken.status = 500;
    hanging.status = 0;
    await h.start({
      ALERTING_WEBHOOK_MAX_ATTEMPTS: '4',
      ALERTING_WEBHOOK_RETRY_BASE_MS: '300',
      ALERTING_WEBHOOK_RETRY_MAX_MS: '1000',
      ALERTING_WEBHOOK_TIMEOUT_MS: '1000',
    });
    for (const [name, receiver, body] of [
      ['flaky', flaky, { secret, eventTypes: ['AlertRaised', 'AlertCleared'] }],
      ['broken', broken, {}],
      ['hanging', hanging, {}],
    ] as const) {
      const { status, body: created } = await h.json<{ webhookId: string; secret: string }>('/webhooks', {
        method: 'POST',
        token: h.tokens.admin,
        body: JSON.stringify({ url: receiver.url, description: name, ...body }),
      });
      expect(status).toBe(201);
      expect(created.secret).toHaveLength(name === 'flaky' ? secret.length : 43);
      webhooks[name] = created.webhookId;
    }
    ruleId = await h.createRule({
      name: 'Battery low',
      condition: { kind: 'threshold', metric: 'batteryPercent', operator: 'below', raiseAt: 20, clearAt: 30 },
    });
  });

  afterAll(async () => {
    await h.stop();
    await Promise.all([flaky.stop(), broken.stop(), hanging.stop()]);
  });

  it('refuses a webhook without a usable URL and keeps secrets out of listings', async () => {
    const bad = await h.json<{ message: string }>('/webhooks', {
      method: 'POST',
      token: h.tokens.admin,
      body: JSON.stringify({ url: 'ftp://example.org/x' }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/url: an http or https URL/);
    const listed = await h.json<{ items: object[] }>('/webhooks', { token: h.tokens.admin });
    expect(JSON.stringify(listed.body)).not.toContain(secret);
  });

  it('delivers a signed payload, retrying while the receiver is down until it is back', async () => {
    await flaky.stop();
    await h.sendTelemetry([{ deviceId: 'hook-1', batteryPercent: 10 }]);
    const [alert] = await h.waitForAlerts(`ruleId=${ruleId}&deviceId=hook-1`, (a) => a.length === 1);
    // Down (connection refused), then answering 503, then back.
    const pending = await eventually(async () => {
      const { body } = await h.json<{ items: { attempts: number; lastError: string }[] }>(
        `/webhooks/${webhooks['flaky']}/deliveries?status=pending`,
      );
      return body.items[0] && body.items[0].attempts >= 1 ? body.items[0] : undefined;
    });
    expect(pending.lastError).toMatch(/fetch failed|ECONNREFUSED/i);
    flaky.status = 503;
    await flaky.start();
    await eventually(async () => (flaky.calls.length >= 1 ? true : undefined));
    flaky.status = 200;
    const delivered = await eventually(async () => flaky.calls.find((c) => c.answered === 200), 15_000);

    expect(validSignature(secret, delivered.headers['x-fleet-signature'], delivered.body)).toBe(true);
    expect(validSignature('another secret', delivered.headers['x-fleet-signature'], delivered.body)).toBe(
      false,
    );
    const payload = JSON.parse(delivered.body) as {
      eventType: string;
      alert: { alertId: string; deviceId: string };
    };
    expect(payload).toMatchObject({
      eventType: 'AlertRaised',
      alert: { alertId: alert!.alertId, deviceId: 'hook-1' },
    });
    expect(delivered.headers['x-fleet-event-type']).toBe('AlertRaised');
    // Every attempt was the same delivery (receivers deduplicate on it).
    expect(new Set(flaky.calls.map((c) => c.headers['x-fleet-delivery-id'])).size).toBe(1);
    const { body } = await h.json<{ items: { status: string; attempts: number }[] }>(
      `/webhooks/${webhooks['flaky']}/deliveries`,
    );
    expect(body.items[0]).toMatchObject({ status: 'delivered' });
    expect(body.items[0]!.attempts).toBeGreaterThanOrEqual(3);
  });

  it('dead-letters what a receiver keeps refusing, never holding up other alerts, and redelivers on request', async () => {
    const started = Date.now();
    await h.sendTelemetry(
      Array.from({ length: 20 }, (_, i) => ({ deviceId: `storm-${i}`, batteryPercent: 5 })),
    );
    await h.waitForAlerts(
      `ruleId=${ruleId}`,
      (a) => a.filter((x) => x.deviceId?.startsWith('storm-')).length === 20,
    );
    // Twenty alerts raised and delivered to the healthy receiver despite the broken and hanging ones.
    expect(Date.now() - started).toBeLessThan(10_000);
    await eventually(
      async () => (flaky.calls.filter((c) => c.body.includes('"storm-')).length >= 20 ? true : undefined),
      15_000,
    );

    const dead = await eventually(async () => {
      const { body } = await h.json<{ items: { deliveryId: string; attempts: number; lastError: string }[] }>(
        `/webhooks/${webhooks['broken']}/deliveries?status=dead`,
      );
      return body.items.length >= 21 ? body.items : undefined;
    }, 30_000);
    expect(dead[0]).toMatchObject({ attempts: 4, lastError: 'HTTP 500' });
    const health = await h.json<{ webhooks: { deadLetters: number } }>('/fleet/health?fresh=true');
    expect(health.body.webhooks.deadLetters).toBeGreaterThanOrEqual(21);

    broken.status = 200;
    const redelivered = await h.json<{ status: string }>(
      `/webhooks/${webhooks['broken']}/deliveries/${dead[0]!.deliveryId}/redeliver`,
      { method: 'POST' },
    );
    expect(redelivered.body.status).toBe('pending');
    await eventually(async () => (broken.calls.some((c) => c.answered === 200) ? true : undefined));
  });
});
