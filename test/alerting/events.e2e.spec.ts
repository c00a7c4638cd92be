import { randomUUID } from 'node:crypto';
import { eventually } from '@fleet/testing';
import { AlertingHarness } from '../support/alerting-harness';

// Event rules over the other services' topics, as their producers publish them: command and
// campaign events (Avro, as the relays publish them), authentication refusals (Avro
// fleet.access.*, as ingestion publishes them), ingestion's dead letters; drift and campaign error
// rates. The refusals' full path from the broker is in test/ingestion/authentication-refusals.
describe('alerting: rules over events', () => {
  const h = new AlertingHarness();

  beforeAll(async () => {
    await h.start();
  });

  afterAll(async () => {
    await h.stop();
  });

  const command = async (
    deviceId: string,
    operation: string,
    path: string,
    outcome: 'CommandSucceeded' | 'CommandFailed',
  ) => {
    const commandId = randomUUID();
    const stream = `command-${commandId}`;
    const of = { commandId, deviceId };
    await h.publishEvent(h.topics.commandEvents, deviceId, stream, 0, 'CommandRequested', {
      ...of,
      operation,
      path,
      value: null,
      arguments: null,
      attributes: null,
      instanceValues: null,
      origin: 'operator',
      jobId: null,
      configurationKey: null,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      maxAttempts: 1,
    });
    return outcome === 'CommandSucceeded'
      ? h.publishEvent(h.topics.commandEvents, deviceId, stream, 1, 'CommandSucceeded', {
          ...of,
          operation,
          path,
          code: '2.04',
          values: [],
          writtenValue: null,
          configurationKey: null,
        })
      : h.publishEvent(h.topics.commandEvents, deviceId, stream, 1, 'CommandFailed', {
          ...of,
          code: '5.00',
          reason: 'signature check failed',
          attempt: 1,
        });
  };

  it('counts reboots: three executes of /3/0/4 within the hour raise, others do not count', async () => {
    const ruleId = await h.createRule({
      name: 'Reboot loop',
      condition: {
        kind: 'event',
        source: 'command-events',
        eventTypes: ['CommandSucceeded'],
        where: { operation: 'execute', path: '/3/0/4' },
        count: 3,
        withinSeconds: 3_600,
      },
    });
    await command('reboots-1', 'execute', '/3/0/4', 'CommandSucceeded');
    await command('reboots-1', 'execute', '/3/0/5', 'CommandSucceeded');
    await command('reboots-1', 'read', '/3/0/4', 'CommandSucceeded');
    await command('reboots-1', 'execute', '/3/0/4', 'CommandSucceeded');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await h.alerts(`ruleId=${ruleId}`)).toEqual([]);
    await command('reboots-1', 'execute', '/3/0/4', 'CommandSucceeded');
    const [alert] = await h.waitForAlerts(`ruleId=${ruleId}`, (a) => a.length === 1);
    expect(alert).toMatchObject({ deviceId: 'reboots-1', value: 3 });
  });

  it('raises on a failed firmware update, matched on the path its request named', async () => {
    const ruleId = await h.createRule({
      name: 'Firmware update failed',
      severity: 'critical',
      suppression: { maintenanceWindows: true, campaigns: false },
      condition: {
        kind: 'event',
        source: 'command-events',
        eventTypes: ['CommandFailed'],
        where: { path: '/5/0/2' },
      },
    });
    await command('fw-1', 'write', '/1/0/1', 'CommandFailed');
    await command('fw-2', 'execute', '/5/0/2', 'CommandFailed');
    const [alert] = await h.waitForAlerts(`ruleId=${ruleId}`, (a) => a.length === 1);
    expect(alert).toMatchObject({
      deviceId: 'fw-2',
      severity: 'critical',
      message: 'CommandFailed (command-events)',
    });
  });

  it('counts repeated authentication refusals and dead-lettered uplinks, each event once', async () => {
    const refusals = await h.createRule({
      name: 'Authentication refused',
      condition: {
        kind: 'event',
        source: 'device-access',
        eventTypes: ['DeviceAuthenticationRefused'],
        count: 5,
        withinSeconds: 600,
      },
    });
    const malformed = await h.createRule({
      name: 'Malformed uplinks',
      condition: {
        kind: 'event',
        source: 'telemetry-dead-letters',
        eventTypes: ['UplinkDeadLettered'],
        where: { code: 'out-of-range' },
        count: 3,
        withinSeconds: 600,
      },
    });
    // The same refusal delivered twice (a producer retrying) counts once: 4 distinct, no alert.
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await h.authenticationRefused('intruder-1'));
    const deadLetter = (code: string) => ({
      key: 'garbled-1',
      value: Buffer.from('[{"n":"/3/0/9","v":140}]'),
      headers: {
        'dlt-code': code,
        'dlt-reason': '/3/0/9: 140 is above the maximum 100',
        'dlt-failed-at': new Date().toISOString(),
      },
    });
    await h.publishRaw(h.topics.telemetryDeadLetters, [
      deadLetter('out-of-range'),
      deadLetter('unknown-path'),
      deadLetter('out-of-range'),
    ]);
    await h.authenticationRefused('intruder-1', ids[3]);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await h.alerts(`ruleId=${refusals}`)).toEqual([]);
    await h.authenticationRefused('intruder-1');
    await h.waitForAlerts(`ruleId=${refusals}`, (a) => a.length === 1 && a[0]!.deviceId === 'intruder-1');
    await h.publishRaw(h.topics.telemetryDeadLetters, [deadLetter('out-of-range')]);
    await h.waitForAlerts(`ruleId=${malformed}`, (a) => a.length === 1 && a[0]!.deviceId === 'garbled-1');
  });

  it('raises on a campaign whose error rate passes the threshold, and clears as it recovers', async () => {
    const ruleId = await h.createRule({
      name: 'Campaign failing',
      condition: { kind: 'campaign-error-rate', raiseAtPercent: 5, clearAtPercent: 3, minimumFinished: 20 },
    });
    // As fuota-orchestrator publishes them (Avro, fleet.campaign.*): final failures have no retryAt.
    const step = (i: number, type: string) =>
      h.publishEvent(h.topics.campaignEvents, `cd-${i}`, 'campaign-c1', i, type, {
        campaignId: 'c1',
        deviceId: `cd-${i}`,
        attempt: 1,
        ...(type === 'DeviceUpdateSucceeded'
          ? { firmwareVersion: '2.0.0' }
          : { stage: 'updating', resultCode: 8, reason: 'update failed', retriable: true, retryAt: null }),
      });
    // 1 failure in 10 finished: 10 %, but fewer than 20 finished: nothing yet.
    for (let i = 0; i < 9; i++) await step(i, 'DeviceUpdateSucceeded');
    await step(9, 'DeviceUpdateFailed');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await h.alerts(`ruleId=${ruleId}`)).toEqual([]);
    for (let i = 10; i < 20; i++) await step(i, i === 19 ? 'DeviceUpdateFailed' : 'DeviceUpdateSucceeded');
    const [alert] = await h.waitForAlerts(`ruleId=${ruleId}`, (a) => a.length === 1);
    expect(alert).toMatchObject({ subject: 'campaign:c1', deviceId: null, value: 10 });
    for (let i = 20; i < 70; i++) await step(i, 'DeviceUpdateSucceeded');
    await h.waitForAlerts(`ruleId=${ruleId}`, (a) => a[0]?.status === 'cleared');
    // The alert is on Kafka keyed by its own id (no device).
    await eventually(async () =>
      h.onKafka.some(
        (e) => e.envelope.stream === `alert-${alert!.alertId}` && e.envelope.eventType === 'AlertCleared',
      )
        ? true
        : undefined,
    );
  });

  it('keeps a device in a running campaign step quiet', async () => {
    const ruleId = await h.createRule({
      name: 'Weak signal',
      condition: { kind: 'threshold', metric: 'rssi', operator: 'below', raiseAt: -130 },
    });
    await h.provision('updating-1');
    await h.provision('idle-1');
    await h.publishEvent(h.topics.campaignEvents, 'updating-1', 'campaign-c2', 0, 'DeviceUpdateStarted', {
      campaignId: 'c2',
      deviceId: 'updating-1',
      attempt: 1,
      observeCommandId: 'c0a80101-0000-4000-8000-000000000001',
      writeCommandId: 'c0a80101-0000-4000-8000-000000000002',
    });
    await eventually(async () => {
      const rows = await h.sql(
        `select 1 from alerting.devices where device_id = 'updating-1' and campaign_id = 'c2' and facts is not null`,
      );
      return rows.length === 1 ? true : undefined;
    });
    await h.sendTelemetry([
      { deviceId: 'updating-1', rssi: -140 },
      { deviceId: 'idle-1', rssi: -140 },
    ]);
    await h.waitForAlerts(`ruleId=${ruleId}`, (a) => a.length === 1 && a[0]!.deviceId === 'idle-1');
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await h.alerts(`ruleId=${ruleId}`)).map((a) => a.deviceId)).toEqual(['idle-1']);
  });

  it('raises on configuration drift that lasts, clears when the device applies it, and ends alerts of retired devices', async () => {
    const ruleId = await h.createRule({
      name: 'Configuration drift',
      condition: { kind: 'drift', keys: ['application.reportingIntervalSeconds'], forSeconds: 2 },
    });
    await h.provision('drift-1');
    await h.provision('drift-2');
    const changed = Date.now();
    for (const id of ['drift-1', 'drift-2']) {
      await h.deviceEvent(id, 'DesiredConfigurationChanged', {
        changes: { 'application.reportingIntervalSeconds': 600, 'application.logicalName': 'meter' },
        jobId: null,
      });
    }
    const alerts = await h.waitForAlerts(`ruleId=${ruleId}`, (a) => a.length === 2, 15_000);
    for (const a of alerts) expect(Date.parse(a.raisedAt) - changed).toBeGreaterThanOrEqual(2_000);
    await h.deviceEvent('drift-1', 'ConfigurationApplied', {
      reported: { 'application.reportingIntervalSeconds': 600 },
    });
    await h.deviceEvent('drift-2', 'DeviceDecommissioned', { serial: 'SN-drift-2' });
    const ended = await h.waitForAlerts(`ruleId=${ruleId}`, (a) => a.every((x) => x.status === 'cleared'));
    expect(Object.fromEntries(ended.map((a) => [a.deviceId, a.clearedBy]))).toEqual({
      'drift-1': 'alerting',
      'drift-2': 'alerting',
    });
  });
});
