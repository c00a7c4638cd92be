import { eventually } from '@fleet/testing';
import { AlertingHarness } from '../support/alerting-harness';

// Threshold rules driven the way an operator would: rules over HTTP, Avro telemetry on the topic
// ingestion writes, alerts read over HTTP and from fleet.alert-events.
describe('alerting: threshold rules', () => {
  const h = new AlertingHarness();

  beforeAll(async () => {
    await h.start();
  });

  afterAll(async () => {
    await h.stop();
  });

  describe('bad input', () => {
    it.each([
      [
        'an unknown metric',
        { metric: 'batteryLevel', operator: 'below', raiseAt: 20 },
        /unknown metric "batteryLevel"/,
      ],
      ['a string resource', { metric: '/3/0/3', operator: 'below', raiseAt: 1 }, /is a string, not a number/],
      [
        'an impossible bound',
        { metric: 'batteryPercent', operator: 'below', raiseAt: 150 },
        /impossible bound 150/,
      ],
      ['a bound never crossed', { metric: 'batteryPercent', operator: 'below', raiseAt: 0 }, /never below 0/],
      [
        'hysteresis the wrong way round',
        { metric: 'batteryPercent', operator: 'below', raiseAt: 20, clearAt: 10 },
        /clears at or above where it raises/,
      ],
    ])('refuses %s with the reason', async (_, condition, reason) => {
      const { status, body } = await h.json<{ error: string; message: string }>('/rules', {
        method: 'POST',
        body: JSON.stringify({ name: 'bad', condition: { kind: 'threshold', ...condition } }),
      });
      expect(status).toBe(400);
      expect(body.error).toBe('VALIDATION_FAILED');
      expect(body.message).toMatch(reason);
    });

    it('refuses a malformed query naming the field', async () => {
      const { status, body } = await h.json<{ message: string }>('/rules', {
        method: 'POST',
        body: JSON.stringify({
          name: 'bad query',
          scope: { type: 'query', query: 'model=WM-200&colour=red' },
          condition: { kind: 'silence', multiplier: 3 },
        }),
      });
      expect(status).toBe(400);
      expect(body.message).toMatch(
        /scope\.query: unknown query field colour; allowed: deviceId, manufacturer/,
      );
    });

    it('refuses a malformed maintenance window', async () => {
      const { status, body } = await h.json<{ message: string }>('/maintenance-windows', {
        method: 'POST',
        body: JSON.stringify({ scope: { type: 'fleet' }, cron: '0 25 * * *', duration: 'PT1H' }),
      });
      expect(status).toBe(400);
      expect(body.message).toMatch(/cron hour "25": outside 0-23/);
    });

    it('lets only operators and admins change rules', async () => {
      const response = await h.api('/rules', {
        method: 'POST',
        token: h.tokens.viewer,
        body: JSON.stringify({ name: 'x', condition: { kind: 'silence' } }),
      });
      expect(response.status).toBe(403);
    });
  });

  it('raises on a battery drop within seconds, holds between the bounds, clears on recovery', async () => {
    const ruleId = await h.createRule({
      name: 'Battery low',
      severity: 'warning',
      condition: { kind: 'threshold', metric: 'batteryPercent', operator: 'below', raiseAt: 20, clearAt: 25 },
    });
    const device = 'battery-1';
    await h.sendTelemetry([{ deviceId: device, batteryPercent: 50 }]);
    const droppedAt = Date.now();
    await h.sendTelemetry([{ deviceId: device, batteryPercent: 15 }]);
    const [raised] = await h.waitForAlerts(
      `deviceId=${device}&ruleId=${ruleId}`,
      (a) => a.length === 1,
      10_000,
    );
    expect(Date.now() - droppedAt).toBeLessThan(10_000);
    expect(raised).toMatchObject({ status: 'open', severity: 'warning', value: 15, episode: 1 });
    expect(raised!.message).toBe('battery (%) 15 is below 20');

    await h.sendTelemetry([
      { deviceId: device, batteryPercent: 22 },
      { deviceId: device, batteryPercent: 18 },
    ]);
    await h.sendTelemetry([{ deviceId: device, batteryPercent: 30 }]);
    const [cleared] = await h.waitForAlerts(`deviceId=${device}`, (a) => a[0]?.status === 'cleared');
    expect(cleared).toMatchObject({ alertId: raised!.alertId, clearedBy: 'alerting' });
    expect(await h.alerts(`deviceId=${device}`)).toHaveLength(1);

    // On Kafka: the same alert raised then cleared, keyed and typed as the contract says.
    const onKafka = await eventually(async () => {
      const events = h.onKafka.filter((e) => e.envelope.stream === `alert-${raised!.alertId}`);
      return events.some((e) => e.envelope.eventType === 'AlertCleared') ? events : undefined;
    });
    expect(onKafka.map((e) => e.envelope.eventType)).toEqual(['AlertRaised', 'AlertCleared']);
    expect(onKafka[0]!.data).toMatchObject({
      ruleId,
      deviceId: device,
      severity: 'warning',
      value: 15,
      bound: 20,
    });
    expect(onKafka[0]!.envelope.actor).toEqual({ type: 'SERVICE', id: 'alerting' });
  });

  it('raises one alert per rule and device however many readings stay low', async () => {
    const ruleId = await h.createRule({
      name: 'RSSI weak',
      condition: { kind: 'threshold', metric: 'rssi', operator: 'below', raiseAt: -120, clearAt: -110 },
    });
    const device = 'rssi-1';
    await h.sendTelemetry(Array.from({ length: 50 }, () => ({ deviceId: device, rssi: -125 })));
    await h.waitForAlerts(`deviceId=${device}&ruleId=${ruleId}`, (a) => a.length === 1);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await h.alerts(`deviceId=${device}&ruleId=${ruleId}`)).toHaveLength(1);
  });

  it('watches numeric readings by their LwM2M path', async () => {
    const ruleId = await h.createRule({
      name: 'Too hot',
      severity: 'critical',
      condition: { kind: 'threshold', metric: '/3303/0/5700', operator: 'above', raiseAt: 60, clearAt: 50 },
    });
    await h.sendTelemetry([{ deviceId: 'hot-1', readings: [{ path: '/3303/0/5700', value: 72.5 }] }]);
    const [alert] = await h.waitForAlerts(`ruleId=${ruleId}`, (a) => a.length === 1);
    expect(alert).toMatchObject({ deviceId: 'hot-1', severity: 'critical', value: 72.5 });
  });

  it('scopes a rule to a group and to a query', async () => {
    const group = await h.createRule({
      name: 'North SNR',
      scope: { type: 'group', tag: 'north' },
      condition: { kind: 'threshold', metric: 'snr', operator: 'below', raiseAt: -15 },
    });
    const query = await h.createRule({
      name: 'GM-10 SNR',
      scope: { type: 'query', query: 'model=GM-10&attribute.site=depot' },
      condition: { kind: 'threshold', metric: 'snr', operator: 'below', raiseAt: -15 },
    });
    await h.provision('north-1', { tags: ['north'] });
    await h.provision('south-1', { tags: ['south'], model: 'GM-10', attributes: { site: 'depot' } });
    await eventually(async () => {
      const [row] = await h.sql<{ n: string }>(
        `select count(*) as n from alerting.devices where facts is not null`,
      );
      return Number(row?.n) >= 2 ? true : undefined;
    });
    await h.sendTelemetry([
      { deviceId: 'north-1', snr: -20 },
      { deviceId: 'south-1', snr: -20 },
    ]);
    await h.waitForAlerts(`ruleId=${group}`, (a) => a.length === 1 && a[0]!.deviceId === 'north-1');
    await h.waitForAlerts(`ruleId=${query}`, (a) => a.length === 1 && a[0]!.deviceId === 'south-1');
  });

  it('keeps quiet for a device in its maintenance window and for a scope with a window', async () => {
    const ruleId = await h.createRule({
      name: 'Battery very low',
      condition: { kind: 'threshold', metric: 'batteryPercent', operator: 'below', raiseAt: 10 },
    });
    // A window open every minute for an hour: open whenever the test runs.
    await h.provision('maint-1', { attributes: { maintenanceWindow: '* * * * * PT1H Europe/Amsterdam' } });
    await h.provision('maint-2', { tags: ['works'] });
    const window = await h.json<{ windowId: string }>('/maintenance-windows', {
      method: 'POST',
      body: JSON.stringify({
        scope: { type: 'group', tag: 'works' },
        cron: '* * * * *',
        duration: 'PT1H',
        reason: 'site works',
      }),
    });
    expect(window.status).toBe(201);
    await eventually(async () => {
      const [row] = await h.sql<{ n: string }>(
        `select count(*) as n from alerting.devices where device_id in ('maint-1', 'maint-2') and facts is not null`,
      );
      return Number(row?.n) === 2 ? true : undefined;
    });
    await h.sendTelemetry([
      { deviceId: 'maint-1', batteryPercent: 5 },
      { deviceId: 'maint-2', batteryPercent: 5 },
      { deviceId: 'maint-3', batteryPercent: 5 },
    ]);
    await h.waitForAlerts(`ruleId=${ruleId}`, (a) => a.some((x) => x.deviceId === 'maint-3'));
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await h.alerts(`ruleId=${ruleId}`)).map((a) => a.deviceId)).toEqual(['maint-3']);
  });

  it('records who acknowledged, escalates what nobody acknowledged, and lets an operator clear', async () => {
    const ruleId = await h.createRule({
      name: 'Airtime hog',
      severity: 'info',
      escalation: { afterSeconds: 1, severity: 'critical' },
      condition: { kind: 'threshold', metric: 'airtimeMs', operator: 'above', raiseAt: 1_000 },
    });
    await h.sendTelemetry([
      { deviceId: 'air-1', airtimeMs: 2_000 },
      { deviceId: 'air-2', airtimeMs: 2_000 },
    ]);
    const alerts = await h.waitForAlerts(`ruleId=${ruleId}`, (a) => a.length === 2);
    const acked = alerts.find((a) => a.deviceId === 'air-1')!;
    const ack = await h.json(`/alerts/${acked.alertId}/acknowledge`, {
      method: 'POST',
      token: h.tokens.support,
      body: JSON.stringify({ note: 'site visit planned' }),
    });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'sam',
      note: 'site visit planned',
    });

    const [escalated] = await h.waitForAlerts(
      `ruleId=${ruleId}&deviceId=air-2`,
      (a) => a[0]?.escalatedAt !== null,
    );
    expect(escalated!.severity).toBe('critical');
    expect((await h.json<{ severity: string }>(`/alerts/${acked.alertId}`)).body.severity).toBe('info');

    const cleared = await h.json(`/alerts/${escalated!.alertId}/clear`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'antenna replaced' }),
    });
    expect(cleared.body).toMatchObject({ status: 'cleared', clearedBy: 'oscar' });
    const again = await h.json<{ error: string }>(`/alerts/${escalated!.alertId}/clear`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'twice' }),
    });
    expect(again.status).toBe(409);
    // Cleared by hand while the condition holds: no new alert until the condition has ended once.
    await h.sendTelemetry([{ deviceId: 'air-2', airtimeMs: 3_000 }]);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await h.alerts(`ruleId=${ruleId}&deviceId=air-2`)).toHaveLength(1);
    await h.sendTelemetry([
      { deviceId: 'air-2', airtimeMs: 10 },
      { deviceId: 'air-2', airtimeMs: 3_000 },
    ]);
    await h.waitForAlerts(`ruleId=${ruleId}&deviceId=air-2`, (a) => a.length === 2 && a[0]!.episode === 2);

    const history = await h.json<{ items: { type: string; actor: { id: string }; reason: string | null }[] }>(
      `/alerts/${escalated!.alertId}/history`,
    );
    expect(history.body.items.map((e) => e.type)).toEqual(['AlertRaised', 'AlertEscalated', 'AlertCleared']);
    expect(history.body.items[2]).toMatchObject({ actor: { id: 'oscar' }, reason: 'antenna replaced' });
  });

  describe('rate rules', () => {
    it('raises on uplinks per hour above budget and clears once the sliding hour is back within it', async () => {
      const ruleId = await h.createRule({
        name: 'Chatty',
        condition: { kind: 'rate', metric: 'uplinksPerHour', raiseAbove: 10, clearAt: 5 },
      });
      const now = Date.now();
      await h.sendTelemetry(
        Array.from({ length: 10 }, (_, i) => ({ deviceId: 'chatty-1', receivedAt: now + i })),
      );
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await h.alerts(`ruleId=${ruleId}`)).toEqual([]);
      await h.sendTelemetry([{ deviceId: 'chatty-1', receivedAt: now + 10 }]);
      const [alert] = await h.waitForAlerts(`ruleId=${ruleId}`, (a) => a.length === 1);
      expect(alert).toMatchObject({ value: 11, status: 'open' });
      // Two hours later the sliding hour holds one uplink.
      await h.sendTelemetry([{ deviceId: 'chatty-1', receivedAt: now + 2 * 3_600_000 }]);
      await h.waitForAlerts(`ruleId=${ruleId}`, (a) => a[0]?.status === 'cleared');
    });

    it('raises on a duty cycle above budget', async () => {
      const ruleId = await h.createRule({
        name: 'Duty cycle',
        condition: { kind: 'rate', metric: 'dutyCyclePercent', raiseAbove: 1 },
      });
      await h.sendTelemetry(Array.from({ length: 4 }, () => ({ deviceId: 'lora-1', airtimeMs: 10_000 })));
      const [alert] = await h.waitForAlerts(`ruleId=${ruleId}`, (a) => a.length === 1);
      expect(alert!.value).toBeCloseTo(1.111, 2);
    });
  });

  it('versions and audits rules: revisions with If-Match, history, and disabling ends their alerts', async () => {
    const definition = {
      name: 'SNR very poor',
      condition: { kind: 'threshold', metric: 'snr', operator: 'below', raiseAt: -30 },
    };
    const ruleId = await h.createRule(definition);
    await h.sendTelemetry([{ deviceId: 'snr-1', snr: -35 }]);
    const [alert] = await h.waitForAlerts(`ruleId=${ruleId}`, (a) => a.length === 1);

    const revised = await h.json<{ definitionVersion: number; severity: string }>(`/rules/${ruleId}`, {
      method: 'PUT',
      headers: { 'if-match': '"1"' },
      body: JSON.stringify({
        ...definition,
        severity: 'critical',
        reason: 'it matters more than we thought',
      }),
    });
    expect(revised.status).toBe(200);
    expect(revised.headers.get('etag')).toBe('"2"');
    expect(revised.body).toMatchObject({ definitionVersion: 2, severity: 'critical' });
    const stale = await h.api(`/rules/${ruleId}`, {
      method: 'PUT',
      headers: { 'if-match': '"1"' },
      body: JSON.stringify(definition),
    });
    expect(stale.status).toBe(412);

    const disabled = await h.json<{ status: string }>(`/rules/${ruleId}/disable`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'too noisy' }),
    });
    expect(disabled.body.status).toBe('disabled');
    const [ended] = await h.waitForAlerts(`ruleId=${ruleId}`, (a) => a[0]?.status === 'cleared');
    expect(ended).toMatchObject({ alertId: alert!.alertId, clearedBy: 'alerting' });
    // A disabled rule raises nothing.
    await h.sendTelemetry([{ deviceId: 'snr-2', snr: -35 }]);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await h.alerts(`ruleId=${ruleId}`)).toHaveLength(1);

    const history = await h.json<{ items: { type: string; actor: { id: string }; reason: string | null }[] }>(
      `/rules/${ruleId}/history`,
    );
    expect(history.body.items.map((e) => [e.type, e.actor.id, e.reason])).toEqual([
      ['RuleCreated', 'oscar', null],
      ['RuleRevised', 'oscar', 'it matters more than we thought'],
      ['RuleDisabled', 'oscar', 'too noisy'],
    ]);
    const listed = await h.json<{ items: { ruleId: string; status: string }[] }>('/rules', {
      token: h.tokens.viewer,
    });
    expect(listed.body.items.find((r) => r.ruleId === ruleId)?.status).toBe('disabled');
  });
});
