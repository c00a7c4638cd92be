import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { eventually } from '@fleet/testing';
import { Client } from 'pg';
import { DeviceTwinHarness } from '../support/device-twin-harness';

const run = promisify(execFile);
const DEVICES = 50;
const TELEMETRY = 10_000;
const CHANGES = 1_000;

// kill -9 of device-twin in the middle of 10,000 uplinks and 1,000 operator changes: afterwards every
// acknowledged change is in the store exactly once, every uplink is counted exactly once, and the
// read model equals a fresh rebuild from the store.
describe('device-twin: crash consistency', () => {
  const h = new DeviceTwinHarness();
  let db: Client;
  const deviceIds: string[] = [];

  beforeAll(async () => {
    await h.start();
    db = new Client({ connectionString: h.databaseUrl });
    await db.connect();
    const devices = Array.from({ length: DEVICES }, (_, i) => ({
      deviceId: `crash-${i}`,
      serial: `SN-crash-${i}`,
      manufacturer: 'Acme',
      model: 'WM-200',
      firmwareVersion: '1.0.0',
    }));
    const imported = await h.json<{ created: number }>('/devices/bulk', {
      method: 'POST',
      token: h.tokens.operator,
      body: JSON.stringify({ devices, reason: 'crash test fleet' }),
    });
    expect(imported.body.created).toBe(DEVICES);
    deviceIds.push(...devices.map((d) => d.deviceId));
  });

  afterAll(async () => {
    await db?.end();
    await h.stop();
  });

  it('loses nothing and applies nothing twice', async () => {
    const acknowledged = new Set<string>();
    let next = 0;
    const statuses = new Map<number, number>();
    const operator = async () => {
      while (next < CHANGES) {
        const k = next++;
        const deviceId = deviceIds[k % DEVICES]!;
        // Like an operator's script: retry while the service is unreachable or failing (5xx).
        for (;;) {
          const response = await h
            .api(`/devices/${deviceId}/desired`, {
              method: 'PATCH',
              token: h.tokens.operator,
              body: JSON.stringify({
                desired: { application: { logicalName: `name-${k}` } },
                reason: `change ${k}`,
              }),
            })
            .catch(() => undefined);
          if (response) statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if (response && (response.status === 200 || response.status === 202)) acknowledged.add(`name-${k}`);
          if (response && response.status < 500) break;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    const now = Date.now();
    const uplinks = Array.from({ length: TELEMETRY }, (_, i) => ({
      deviceId: deviceIds[i % DEVICES]!,
      receivedAt: now + i,
      batteryPercent: 100 - (i % 100) / 10,
      airtimeMs: 10,
      // Every device reports a new firmware once, somewhere in the middle of the stream.
      firmwareVersion: i >= 5_000 && i < 5_000 + DEVICES ? '1.1.0' : null,
    }));

    const operators = Array.from({ length: 4 }, operator);
    const telemetry = (async () => {
      for (let i = 0; i < uplinks.length; i += 1_000) await h.sendTelemetry(uplinks.slice(i, i + 1_000));
    })();
    await eventually(
      async () => (acknowledged.size >= 200 ? true : undefined),
      60_000,
      '200 changes acknowledged',
    );
    await h.twin.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    await h.twin.start(60_000);
    await Promise.all([...operators, telemetry]);
    expect(Object.fromEntries(statuses)).toEqual({
      200: expect.any(Number) as number,
      ...(statuses.has(202) ? { 202: expect.any(Number) as number } : {}),
    });
    expect(acknowledged.size).toBe(CHANGES);

    // Every acknowledged change is stored exactly once.
    const { rows: changes } = await db.query<{ name: string; n: string }>(
      `select data->'changes'->>'application.logicalName' as name, count(*) as n from event_store.events
       where type = 'DesiredConfigurationChanged' group by 1`,
    );
    const stored = new Map(changes.map((r) => [r.name, Number(r.n)]));
    for (const name of acknowledged) expect(stored.get(name)).toBe(1);
    expect([...stored.values()].every((n) => n === 1)).toBe(true);

    // Every uplink counted exactly once; every firmware report became one event.
    await eventually(
      async () => {
        const { rows } = await db.query<{ n: string }>(
          `select sum(uplink_count) as n from device_twin.connectivity`,
        );
        return Number(rows[0]?.n) >= TELEMETRY ? true : undefined;
      },
      90_000,
      'all uplinks applied',
    );
    const { rows: totals } = await db.query<{ uplinks: string; airtime: string; devices: string }>(
      `select sum(uplink_count) as uplinks, count(*) as devices from device_twin.connectivity`,
    );
    expect(totals[0]).toMatchObject({ uplinks: String(TELEMETRY), devices: String(DEVICES) });
    const { rows: firmware } = await db.query<{ n: string }>(
      `select count(*) as n from event_store.events where type = 'FirmwareVersionChanged'`,
    );
    expect(Number(firmware[0]?.n)).toBe(DEVICES);

    // The projection caught up: each twin's version is its stream's length; then it equals a rebuild.
    await eventually(
      async () => {
        const { rows } = await db.query<{ behind: string }>(
          `select count(*) as behind from device_twin.devices d join event_store.streams s on s.stream = 'device-' || d.device_id
           where d.version <> s.revision + 1`,
        );
        return rows[0]?.behind === '0' ? true : undefined;
      },
      30_000,
      'twin caught up',
    );
    const { stdout } = await run('npx', ['tsx', 'scripts/rebuild.ts', 'device-twin', '--dry-run'], {
      env: { ...process.env, PG_URL: h.databaseUrl },
    });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as { differences: object; devices: number };
    expect(report).toMatchObject({ devices: DEVICES, differences: { devices: 0, timeline: 0 } });
  });
});
