import { issueDevToken } from '@fleet/auth';
import { encodeSenml } from '@fleet/device-protocol';
import { eventually } from '@fleet/testing';
import { Client } from 'pg';
import { SERVICES } from '../../scripts/services';
import { createDatabase } from '../support/database';
import { IngestionHarness } from '../support/ingestion-harness';
import { freePort, ServiceProcess } from '../support/service-process';
import {
  committed,
  groupStates,
  isolatedEnv,
  SHUTDOWN_TIMEOUT_MS,
  sleep,
  slowRequest,
  telemetryStream,
} from './shutdown-support';

/** SIGTERM, as Kubernetes sends it after the preStop delay; @returns exit code and time taken. */
async function terminate(service: ServiceProcess): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  const code = await service.stop('SIGTERM');
  return { code, ms: Date.now() - started };
}

function expectOrderlyLogs(service: ServiceProcess): void {
  const logs = service.output.join('');
  expect(logs).toContain('SIGTERM received: stopping intake, finishing in-flight work');
  expect(logs).toMatch(/stopped in \d+ ms with exit code 0/);
}

describe('graceful shutdown on SIGTERM', () => {
  describe.each(SERVICES.filter((s) => s.name !== 'ingestion'))('$name', ({ name }) => {
    let database: { url: string; drop(): Promise<void> };
    let service: ServiceProcess;
    let isolation: Awaited<ReturnType<typeof isolatedEnv>>;

    beforeAll(async () => {
      database = await createDatabase();
      isolation = await isolatedEnv(name);
      service = new ServiceProcess(name, await freePort(), {
        ...isolation.env,
        PG_URL: database.url,
        LOG_LEVEL: 'info',
        DEVICE_BROKER_REGISTRATION: 'none',
      });
      await service.start(60_000);
    });
    afterAll(async () => {
      await service?.stop('SIGKILL');
      await database?.drop();
    });

    it('finishes the request and the Kafka work in flight, leaves its groups, exits 0 in time', async () => {
      const telemetryTopic = isolation.topics['TELEMETRY_TOPIC'];
      const stream = telemetryTopic ? telemetryStream(telemetryTopic) : undefined;
      const telemetryGroup = name === 'device-twin' ? isolation.env['TELEMETRY_GROUP_ID']! : undefined;
      if (telemetryGroup) {
        // Consumption under way: offsets are being committed while records keep coming.
        await eventually(
          async () => ((await committed(telemetryGroup, telemetryTopic!)) > 0 ? true : undefined),
          30_000,
          'telemetry consumed',
        );
      }
      const before = telemetryGroup ? await committed(telemetryGroup, telemetryTopic!) : 0;

      // device-twin: a real provisioning; the others: any request the server must read to the end.
      const token = await issueDevToken({ role: 'operator', subject: 'sigterm' });
      const inFlight =
        name === 'device-twin'
          ? slowRequest(
              service.url,
              '/devices',
              JSON.stringify({
                serial: 'SIGTERM-1',
                manufacturer: 'acme',
                model: 'FW-SENSOR-1',
                reason: 'sigterm test',
              }),
              token,
            )
          : slowRequest(service.url, '/health/live', JSON.stringify({ probe: 'sigterm' }));
      await sleep(300);
      const stopping = terminate(service);
      await sleep(1_000);
      inFlight.finish();

      const status = await inFlight.response;
      const { code, ms } = await stopping;
      await stream?.stop();

      expect(code).toBe(0);
      expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
      expectOrderlyLogs(service);
      if (name === 'device-twin') {
        expect([201, 202]).toContain(status);
        const pg = new Client({ connectionString: database.url });
        await pg.connect();
        const { rows } = await pg.query<{ n: string }>(
          `select count(*) as n from event_store.events where type = 'DeviceProvisioned'`,
        );
        await pg.end();
        expect(Number(rows[0]!.n)).toBe(1);
        expect(await committed(telemetryGroup!, telemetryTopic!)).toBeGreaterThanOrEqual(before);
      } else {
        expect(status).toBeGreaterThanOrEqual(200);
      }
      // Members that left their groups (not ones the broker must time out) mean offsets were committed on the way out.
      const states = await groupStates(isolation.groupTokens);
      expect(Object.values(states).filter((s) => s !== 'Empty' && s !== 'Dead')).toEqual([]);
      if (telemetryGroup) expect(Object.keys(states)).toContain(telemetryGroup);
    });
  });

  describe('ingestion', () => {
    const harness = new IngestionHarness();
    const up = (id: string) => `fleet/v1/devices/${id}/up/telemetry`;
    const reading = (seq: number) => encodeSenml([{ path: '/3331/0/5805', value: seq }], 'json');

    beforeAll(async () => {
      await harness.start({ LOG_LEVEL: 'info' });
    });
    afterAll(() => harness.stop());

    it('stops mid-stream with exit 0 in time; restarted as the same replica, it loses no acknowledged uplink', async () => {
      const devices = await harness.provision(10);
      const acked = new Map<string, Set<number>>();
      const perDevice = 200;
      const streams = devices.map(async (device) => {
        const client = await harness.connectDevice(device);
        const done = new Set<number>();
        acked.set(device.deviceId, done);
        for (let seq = 0; seq < perDevice; seq++) {
          await client.publishAsync(up(device.deviceId), reading(seq), { qos: 1 }).then(
            () => done.add(seq),
            () => undefined,
          );
          await sleep(10);
        }
        await client.endAsync();
      });
      await harness.until(
        () => devices.some((d) => (harness.telemetry.get(d.deviceId)?.length ?? 0) >= 20),
        30_000,
        'uplinks under way',
      );

      const { code, ms } = await terminate(harness.ingestion);
      expect(code).toBe(0);
      expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
      expectOrderlyLogs(harness.ingestion);

      // The broker keeps acknowledging uplinks meanwhile; the replica's sessions hold them.
      await sleep(1_000);
      await harness.ingestion.start();
      await Promise.all(streams);
      const sequence = (t: { readings: { path: string; numberValue: number | null }[] }) =>
        t.readings.find((r) => r.path === '/3331/0/5805')?.numberValue;
      const missing = () =>
        devices.flatMap((d) => {
          const arrived = new Set((harness.telemetry.get(d.deviceId) ?? []).map(sequence));
          return [...acked.get(d.deviceId)!]
            .filter((seq) => !arrived.has(seq))
            .map((s) => `${d.deviceId}#${s}`);
        });
      await harness
        .until(() => missing().length === 0, 60_000, 'every acknowledged uplink')
        .catch(() => undefined);
      expect(missing()).toEqual([]);
      expect([...acked.values()].reduce((n, s) => n + s.size, 0)).toBe(devices.length * perDevice);
    });
  });

  it('a shutdown that outlasts SHUTDOWN_TIMEOUT_MS ends with exit 1 and says so', async () => {
    const database = await createDatabase();
    const service = new ServiceProcess('fuota-orchestrator', await freePort(), {
      ...(await isolatedEnv('fuota-orchestrator')).env,
      PG_URL: database.url,
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: '2000',
    });
    try {
      await service.start(60_000);
      // A request whose body never ends keeps the HTTP server from closing.
      const stuck = slowRequest(service.url, '/health/live', JSON.stringify({ never: 'finished' }));
      stuck.response.catch(() => undefined);
      await sleep(300);
      const { code, ms } = await terminate(service);
      expect(code).toBe(1);
      expect(ms).toBeGreaterThanOrEqual(2_000);
      expect(ms).toBeLessThan(10_000);
      expect(service.output.join('')).toContain('shutdown still running after 2000 ms: exiting 1');
    } finally {
      await service.stop('SIGKILL');
      await database.drop();
    }
  });
});
