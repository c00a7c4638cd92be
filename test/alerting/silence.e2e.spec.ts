import { eventually } from '@fleet/testing';
import { AlertingHarness } from '../support/alerting-harness';

// Silence at k × each device's own expected interval (its wake interval, its reported reporting
// interval, else its class's default), not one global timeout; not before; survives kill -9.
describe('alerting: silence', () => {
  const h = new AlertingHarness();
  let ruleId: string;

  beforeAll(async () => {
    await h.start();
    ruleId = await h.createRule({
      name: 'Silent',
      severity: 'critical',
      condition: { kind: 'silence', multiplier: 3 },
    });
    await h.provision('sleepy-2s', { kind: 'sleepy', wakeIntervalSeconds: 2 });
    await h.provision('reports-4s');
    await h.deviceEvent('reports-4s', 'ConfigurationApplied', {
      reported: { 'application.reportingIntervalSeconds': 4 },
    });
    await h.provision('in-maintenance', {
      kind: 'sleepy',
      wakeIntervalSeconds: 2,
      attributes: { maintenanceWindow: '* * * * * PT2H' },
    });
    await h.provision('suspended', { kind: 'sleepy', wakeIntervalSeconds: 2 });
    await h.deviceEvent('suspended', 'DeviceSuspended', {});
    await eventually(async () => {
      const rows = await h.sql<{ device_id: string; interval_s: number }>(
        `select device_id, interval_s from alerting.devices where facts is not null`,
      );
      const intervals = Object.fromEntries(rows.map((r) => [r.device_id, r.interval_s]));
      return intervals['reports-4s'] === 4 && rows.length === 4 ? true : undefined;
    });
  });

  afterAll(async () => {
    await h.stop();
  });

  it('raises after k × the device own interval and not before, and clears when it reports again', async () => {
    const lastSeen = Date.now();
    await h.sendTelemetry(
      ['sleepy-2s', 'reports-4s', 'never-provisioned', 'in-maintenance', 'suspended'].map((deviceId) => ({
        deviceId,
        receivedAt: lastSeen,
        batteryPercent: 80,
      })),
    );
    const [sleepy] = await h.waitForAlerts(
      `ruleId=${ruleId}&deviceId=sleepy-2s`,
      (a) => a.length === 1,
      15_000,
    );
    expect(Date.parse(sleepy!.observedAt)).toBe(lastSeen + 6_000);
    expect(Date.parse(sleepy!.raisedAt)).toBeGreaterThanOrEqual(lastSeen + 6_000);
    expect(Date.parse(sleepy!.raisedAt)).toBeLessThan(lastSeen + 6_000 + 3_000);
    expect(sleepy!.message).toMatch(/more than 3 × its expected interval of 2 s/);
    // 4 s interval: silent at 12 s, so nothing yet.
    expect(await h.alerts(`ruleId=${ruleId}&deviceId=reports-4s`)).toEqual([]);

    const [configured] = await h.waitForAlerts(
      `ruleId=${ruleId}&deviceId=reports-4s`,
      (a) => a.length === 1,
      15_000,
    );
    expect(Date.parse(configured!.observedAt)).toBe(lastSeen + 12_000);
    expect(Date.parse(configured!.raisedAt)).toBeGreaterThanOrEqual(lastSeen + 12_000);

    // The unknown device (always-on default, 300 s), the one in maintenance and the suspended
    // one raise nothing.
    expect((await h.alerts(`ruleId=${ruleId}`)).map((a) => a.deviceId).sort()).toEqual([
      'reports-4s',
      'sleepy-2s',
    ]);

    await h.sendTelemetry([{ deviceId: 'sleepy-2s', batteryPercent: 79 }]);
    const [cleared] = await h.waitForAlerts(
      `ruleId=${ruleId}&deviceId=sleepy-2s`,
      (a) => a[0]?.status === 'cleared',
    );
    expect(cleared!.alertId).toBe(sleepy!.alertId);

    const health = await h.json<{ devices: { silent: number; reporting: number } }>(
      '/fleet/health?fresh=true',
    );
    expect(health.body.devices).toMatchObject({ silent: 1, reporting: 5 });
    const metrics = await (await fetch(`${h.service.url}/metrics`)).text();
    expect(metrics).toMatch(/fleet_devices\{state="silent",service="alerting"\} 1/);
    expect(metrics).toMatch(
      /fleet_alerts_open\{severity="critical",rule_id="[^"]+",rule="Silent",service="alerting"\} 1/,
    );
  });

  it('keeps its deadlines through kill -9: a device silent across the restart is alerted on time', async () => {
    await h.provision('crash-3s', { kind: 'sleepy', wakeIntervalSeconds: 3 });
    await eventually(async () => {
      const rows = await h.sql(
        `select 1 from alerting.devices where device_id = 'crash-3s' and facts is not null`,
      );
      return rows.length === 1 ? true : undefined;
    });
    const lastSeen = Date.now();
    await h.sendTelemetry([{ deviceId: 'crash-3s', receivedAt: lastSeen, batteryPercent: 50 }]);
    await eventually(async () => {
      const rows = await h.sql(`select 1 from alerting.device_activity where device_id = 'crash-3s'`);
      return rows.length === 1 ? true : undefined;
    });
    expect(await h.service.stop('SIGKILL')).toBeNull();
    await h.service.start(60_000);
    const [alert] = await h.waitForAlerts(
      `ruleId=${ruleId}&deviceId=crash-3s`,
      (a) => a.length === 1,
      20_000,
    );
    expect(Date.parse(alert!.observedAt)).toBe(lastSeen + 9_000);
    expect(Date.parse(alert!.raisedAt)).toBeGreaterThanOrEqual(lastSeen + 9_000);
  });
});
