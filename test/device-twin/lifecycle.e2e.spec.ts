import { randomUUID } from 'node:crypto';
import { Topics } from '@fleet/contracts';
import { eventually } from '@fleet/testing';
import { Client } from 'pg';
import { DeviceTwinHarness } from '../support/device-twin-harness';

interface Twin {
  deviceId: string;
  status: string;
  version: number;
  firmwareVersion: string | null;
  desired: Record<string, unknown>;
  reported: Record<string, unknown>;
  delta: Record<string, unknown>;
  metadata: { desired: Record<string, { updatedBy: string; correlationId: string }> };
  credential: { type: string; revoked: boolean };
  connectivity: { batteryPercent: number; online: boolean; uplinkCount: number } | null;
  created?: boolean;
  oneTimeCredentials?: { secret?: string; appKey?: string };
}

interface History {
  entries: {
    type: string;
    version: number;
    actor: { id: string };
    reason: string | null;
    data: Record<string, unknown>;
  }[];
  nextCursor: string | null;
}

// A support engineer's story, driven over HTTP and Kafka against the compiled device-twin: provision,
// configure, the device reports, suspend, rotate, decommission, re-enrol; then the history and the
// time-travel queries must tell exactly that story, and no secret may leak anywhere.
describe('device-twin: device lifecycle, configuration and audit', () => {
  const h = new DeviceTwinHarness();
  const serial = `SN-life-${randomUUID().slice(0, 8)}`;
  const secrets: string[] = [];
  let deviceId: string;
  let beforeSuspension: string;

  const post = (path: string, body: object, token: string, headers: Record<string, string> = {}) =>
    h.json<Twin>(path, { method: 'POST', token, body: JSON.stringify(body), headers });
  const patch = (path: string, body: object, token: string, headers: Record<string, string> = {}) =>
    h.json<Twin>(path, { method: 'PATCH', token, body: JSON.stringify(body), headers });
  const twin = async () => (await h.json<Twin>(`/devices/${deviceId}`, { token: h.tokens.viewer })).body;

  beforeAll(() => h.start({ LOG_LEVEL: 'debug' }, Topics.deviceEvents));
  afterAll(() => h.stop());

  it('provisions with a one-time secret, idempotently by serial', async () => {
    const body = {
      serial,
      manufacturer: 'Acme',
      model: 'WM-200',
      firmwareVersion: '1.2.0',
      reason: 'site north roll-out',
    };
    const created = await post('/devices', body, h.tokens.operator, { 'x-correlation-id': 'ticket-1001' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'active',
      version: 2,
      created: true,
      credential: { type: 'secret' },
    });
    expect(created.body.oneTimeCredentials?.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    secrets.push(created.body.oneTimeCredentials!.secret!);
    deviceId = created.body.deviceId;

    const again = await post('/devices', body, h.tokens.operator);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ deviceId, created: false });
    expect(again.body.oneTimeCredentials).toBeUndefined();
  });

  it('configures the desired state with If-Match; the delta shows what the device has not applied', async () => {
    const stale = await patch(
      `/devices/${deviceId}/desired`,
      { desired: { application: { reportingIntervalSeconds: 600 } } },
      h.tokens.operator,
      { 'if-match': '"1"' },
    );
    expect(stale.status).toBe(412);

    const invalid = await patch(
      `/devices/${deviceId}/desired`,
      { desired: { application: { reportingIntervalSeconds: 1 } } },
      h.tokens.operator,
    );
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(invalid.body)).toMatch(/reportingIntervalSeconds/);

    const radio = await patch(
      `/devices/${deviceId}/desired`,
      { desired: { radio: { adr: true } } },
      h.tokens.operator,
    );
    expect(radio.status).toBe(400);
    expect(JSON.stringify(radio.body)).toMatch(/LoRaWAN devices only/);

    const configured = await patch(
      `/devices/${deviceId}/desired`,
      {
        desired: { application: { reportingIntervalSeconds: 600, logicalName: 'meter north 1' } },
        reason: 'hourly billing',
      },
      h.tokens.operator,
      { 'if-match': '"2"', 'x-correlation-id': 'ticket-1002' },
    );
    expect(configured.status).toBe(200);
    expect(configured.headers.get('etag')).toBe('"3"');
    expect(configured.body.delta).toEqual({
      'application.reportingIntervalSeconds': 600,
      'application.logicalName': 'meter north 1',
    });
    expect(configured.body.metadata.desired['application.reportingIntervalSeconds']).toMatchObject({
      updatedBy: 'oscar',
      correlationId: 'ticket-1002',
    });
  });

  it('takes what the device reports over telemetry: configuration applied, firmware, battery', async () => {
    await h.sendTelemetry([
      {
        deviceId,
        batteryPercent: 87,
        rssi: -97,
        snr: 7.5,
        firmwareVersion: '1.3.0',
        reportedConfiguration: { 'application.reportingIntervalSeconds': 600 },
      },
    ]);
    const reported = await eventually(
      async () => {
        const t = await twin();
        return t.firmwareVersion === '1.3.0' && t.connectivity ? t : undefined;
      },
      30_000,
      'the report in the twin',
    );
    expect(reported.reported).toEqual({ 'application.reportingIntervalSeconds': 600 });
    expect(reported.delta).toEqual({ 'application.logicalName': 'meter north 1' });
    expect(reported.connectivity).toMatchObject({ batteryPercent: 87, online: true, uplinkCount: 1 });
    beforeSuspension = new Date().toISOString();
  });

  it('dead-letters undecodable and implausible telemetry with the reason, and keeps consuming', async () => {
    const reasons = await h.watchDeadLetters();
    await h.sendRaw(deviceId, Buffer.from('not avro at all'));
    await h.sendTelemetry([{ deviceId, batteryPercent: 150 }]);
    await h.sendTelemetry([{ deviceId, batteryPercent: 86 }]);
    await eventually(
      async () => ((await twin()).connectivity?.batteryPercent === 86 ? true : undefined),
      30_000,
      'next uplink applied',
    );
    await eventually(async () => (reasons.length >= 2 ? true : undefined), 30_000, 'two dead letters');
    expect(reasons).toEqual([
      expect.stringMatching(/not Avro single-object encoded/),
      expect.stringMatching(/batteryPercent 150 is not within 0-100/),
    ]);
    expect((await twin()).connectivity?.uplinkCount).toBe(2);
  });

  it('suspends, rotates credentials and decommissions, each with actor and reason', async () => {
    await new Promise((r) => setTimeout(r, 20)); // a distinct instant for the point-in-time query
    const noReason = await post(`/devices/${deviceId}/suspend`, {}, h.tokens.operator);
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(noReason.body)).toMatch(/reason/);

    expect(
      (await post(`/devices/${deviceId}/suspend`, { reason: 'tamper alarm' }, h.tokens.operator)).body.status,
    ).toBe('suspended');
    const rotated = await post(
      `/devices/${deviceId}/credentials/rotate`,
      { reason: 'suspected leak' },
      h.tokens.operator,
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.oneTimeCredentials?.secret).toBeDefined();
    expect(rotated.body.oneTimeCredentials?.secret).not.toBe(secrets[0]);
    secrets.push(rotated.body.oneTimeCredentials!.secret!);

    const retired = await post(
      `/devices/${deviceId}/decommission`,
      { reason: 'meter replaced' },
      h.tokens.admin,
    );
    expect(retired.body).toMatchObject({ status: 'decommissioned', credential: { revoked: true } });
  });

  it('refuses anything on a decommissioned device with 409 and the reason, until an admin re-enrols it', async () => {
    const suspend = await post(`/devices/${deviceId}/suspend`, { reason: 'x' }, h.tokens.operator);
    expect(suspend.status).toBe(409);
    expect(JSON.stringify(suspend.body)).toMatch(/decommissioned/);
    const reprovision = await post(
      '/devices',
      { serial, manufacturer: 'Acme', model: 'WM-200' },
      h.tokens.operator,
    );
    expect(reprovision.status).toBe(409);
    expect(JSON.stringify(reprovision.body)).toMatch(/decommissioned.*re-enrol/);

    expect(
      (await post(`/devices/${deviceId}/re-enrol`, { reason: 'refurbished' }, h.tokens.operator)).status,
    ).toBe(403);
    const reEnrolled = await post(`/devices/${deviceId}/re-enrol`, { reason: 'refurbished' }, h.tokens.admin);
    expect(reEnrolled.status).toBe(200);
    expect(reEnrolled.body).toMatchObject({ status: 'provisioned', credential: { revoked: false } });
    secrets.push(reEnrolled.body.oneTimeCredentials!.secret!);
  });

  it('tells the story in the history: who, why, in order, with filters and pages', async () => {
    const { body } = await h.json<History>(`/devices/${deviceId}/history`, { token: h.tokens.support });
    expect(body.entries.map((e) => [e.type, e.actor.id, e.reason])).toEqual([
      ['DeviceProvisioned', 'oscar', 'site north roll-out'],
      ['DeviceActivated', 'oscar', 'site north roll-out'],
      ['DesiredConfigurationChanged', 'oscar', 'hourly billing'],
      ['ConfigurationApplied', deviceId, 'reported by the device'],
      ['FirmwareVersionChanged', deviceId, 'reported by the device'],
      ['DeviceSuspended', 'oscar', 'tamper alarm'],
      ['DeviceCredentialsRotated', 'oscar', 'suspected leak'],
      ['DeviceDecommissioned', 'alice', 'meter replaced'],
      ['DeviceReEnrolled', 'alice', 'refurbished'],
    ]);
    expect(JSON.stringify(body)).not.toMatch(/pbkdf2/);

    const suspensions = await h.json<History>(
      `/devices/${deviceId}/history?type=DeviceSuspended&type=DeviceDecommissioned`,
      { token: h.tokens.support },
    );
    expect(suspensions.body.entries.map((e) => e.type)).toEqual(['DeviceSuspended', 'DeviceDecommissioned']);
    const byAlice = await h.json<History>(`/devices/${deviceId}/history?actor=alice`, {
      token: h.tokens.support,
    });
    expect(byAlice.body.entries).toHaveLength(2);

    const first = await h.json<History>(`/devices/${deviceId}/history?limit=4`, { token: h.tokens.support });
    expect(first.body.entries.map((e) => e.version)).toEqual([1, 2, 3, 4]);
    const second = await h.json<History>(
      `/devices/${deviceId}/history?limit=4&cursor=${first.body.nextCursor}`,
      { token: h.tokens.support },
    );
    expect(second.body.entries.map((e) => e.version)).toEqual([5, 6, 7, 8]);

    const badFilter = await h.json(`/devices/${deviceId}/history?from=yesterday`, {
      token: h.tokens.support,
    });
    expect(badFilter.status).toBe(400);
  });

  it('rebuilds the twin as it was at a time or a version', async () => {
    const then = await h.json<{ twin: Twin }>(
      `/devices/${deviceId}/state?at=${encodeURIComponent(beforeSuspension)}`,
      { token: h.tokens.support },
    );
    expect(then.status).toBe(200);
    expect(then.body.twin).toMatchObject({ status: 'active', firmwareVersion: '1.3.0', version: 5 });
    const first = await h.json<{ twin: Twin }>(`/devices/${deviceId}/state?version=1`, {
      token: h.tokens.support,
    });
    expect(first.body.twin).toMatchObject({ status: 'provisioned', firmwareVersion: '1.2.0', desired: {} });
    const before = await h.json(`/devices/${deviceId}/state?at=2000-01-01T00:00:00Z`, {
      token: h.tokens.support,
    });
    expect(before.status).toBe(404);
  });

  it('seals LoRaWAN AppKeys and checks radio settings against the band plan', async () => {
    const appKey = randomUUID().replaceAll('-', '').toUpperCase();
    secrets.push(appKey);
    const created = await post(
      '/devices',
      {
        serial: `SN-lora-${randomUUID().slice(0, 8)}`,
        manufacturer: 'Acme',
        model: 'LT-1',
        deviceClass: { kind: 'lorawan', lorawanClass: 'A', devEui: '70B3D57ED0000001' },
        region: 'EU868',
        credentials: { type: 'lorawan-appkey', appKey },
      },
      h.tokens.operator,
    );
    expect(created.status).toBe(201);
    expect(created.body.credential).toMatchObject({ type: 'lorawan-appkey' });
    const lora = created.body.deviceId;
    const tooFast = await patch(
      `/devices/${lora}/desired`,
      { desired: { radio: { dataRate: 9 } } },
      h.tokens.operator,
    );
    expect(tooFast.status).toBe(400);
    expect(JSON.stringify(tooFast.body)).toMatch(/DR9 is not an uplink data rate of EU868/);
    const ok = await patch(
      `/devices/${lora}/desired`,
      { desired: { radio: { dataRate: 5, adr: false, txPowerDbm: 14 } } },
      h.tokens.operator,
    );
    expect(ok.status).toBe(200);
  });

  it('imports CSV row by row: valid rows land, bad rows say why, known serials are reported existing', async () => {
    const csv = [
      'serial,manufacturer,model,firmwareVersion,tags,attributes',
      `SN-csv-${randomUUID().slice(0, 8)},Acme,WM-200,1.2.0,water;pilot,site=north`,
      `SN-csv-${randomUUID().slice(0, 8)},Acme,,1.2.0,,`,
      `${serial},Acme,WM-200,,,`,
    ].join('\n');
    const imported = await h.json<{
      jobId: string;
      created: number;
      failed: number;
      results: { row: number; status: string; errors?: string[] }[];
    }>('/devices/bulk?reason=spring%20batch', {
      method: 'POST',
      token: h.tokens.operator,
      body: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(imported.status).toBe(200);
    expect(imported.body.results.map((r) => [r.row, r.status])).toEqual([
      [1, 'created'],
      [2, 'failed'],
      [3, 'existing'],
    ]);
    expect(imported.body.results[1]!.errors!.join()).toMatch(/model/);
  });

  it('never lets a secret reach the event store, Kafka or the logs', async () => {
    await eventually(
      async () =>
        h.onKafka.has(`device-${deviceId}`) && h.onKafka.get(`device-${deviceId}`)!.length >= 9
          ? true
          : undefined,
      30_000,
      'device events on Kafka',
    );
    const db = new Client({ connectionString: h.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ text: string }>(
        `select data::text || metadata::text as text from event_store.events`,
      );
      const stored = rows.map((r) => r.text).join('\n');
      const kafka = Buffer.concat(h.rawKafka).toString('latin1');
      const logs = h.twin.output.join('');
      expect(logs.length).toBeGreaterThan(0);
      for (const secret of secrets) {
        expect(stored).not.toContain(secret);
        expect(kafka).not.toContain(secret);
        expect(logs).not.toContain(secret);
      }
      expect(kafka).not.toContain('v1.dev-kek');
    } finally {
      await db.end();
    }
  });
});
