import { randomUUID } from 'node:crypto';
import { issueDevToken } from '@fleet/auth';
import { AvroCodec, SchemaCatalogue, Topics, type EventRecord } from '@fleet/contracts';
import { createKafka, startConsumer, KafkaPublisher, type RunningConsumer } from '@fleet/messaging';
import { eventually, testInfrastructure, uniqueName } from '@fleet/testing';
import { Client } from 'pg';
import { createDatabase } from '../support/database';
import { freePort, ServiceProcess } from '../support/service-process';

// The vertical slice, driven as an operator would: HTTP with a bearer token against the compiled
// device-twin process, with a real PostgreSQL event store and the real Kafka topic as oracles.
describe('device-twin: provisioning slice', () => {
  let database: { url: string; drop(): Promise<void> };
  let twin: ServiceProcess;
  let admin: string;
  let viewer: string;
  const onKafka = new Map<string, EventRecord[]>();
  let consumer: RunningConsumer;
  let publisher: KafkaPublisher;

  const api = (path: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${twin.url}${path}`, {
      ...init,
      headers: {
        'content-type': 'application/json',
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.headers as Record<string, string> | undefined),
      },
    });

  const provision = (body: object, token = admin) =>
    api('/devices', { method: 'POST', token, body: JSON.stringify(body) });
  const meter = (n: number | string) => ({
    serial: `SN-${n}-${randomUUID().slice(0, 8)}`,
    manufacturer: 'Acme',
    model: 'WM-200',
    // One event per device keeps the versions below simple; activation is covered by lifecycle tests.
    activate: false,
  });

  beforeAll(async () => {
    database = await createDatabase();
    // Broker registration is ingestion's suites' concern (docs/adr/008).
    twin = new ServiceProcess('device-twin', await freePort(), {
      PG_URL: database.url,
      DEVICE_BROKER_REGISTRATION: 'none',
    });
    await twin.start();
    admin = await issueDevToken({ role: 'admin', subject: 'alice' });
    viewer = await issueDevToken({ role: 'viewer', subject: 'victor' });

    const kafka = createKafka({ brokers: testInfrastructure.kafkaBrokers, clientId: 'e2e' });
    const codec = new AvroCodec(SchemaCatalogue.load());
    publisher = new KafkaPublisher(kafka);
    consumer = await startConsumer(kafka, publisher, {
      groupId: uniqueName('e2e-device-events'),
      topics: [Topics.deviceEvents],
      handler: async (message) => {
        const record = codec.decode<EventRecord>(message.value!).value;
        const list = onKafka.get(record.envelope.stream) ?? [];
        list.push(record);
        onKafka.set(record.envelope.stream, list);
      },
    });
  });

  afterAll(async () => {
    await twin?.stop();
    await consumer?.stop();
    await publisher?.disconnect();
    await database?.drop();
  });

  it('refuses a request without a token (401) and a viewer provisioning (403)', async () => {
    const anonymous = await provision(meter(1), '');
    expect(anonymous.status).toBe(401);
    const forbidden = await provision(meter(1), viewer);
    expect(forbidden.status).toBe(403);
  });

  it('provisions a device: store, Kafka (Avro), twin and history agree, with actor and reason', async () => {
    const body = { ...meter('slice'), firmwareVersion: '1.2.0', tags: ['water'], reason: 'new site north' };
    const correlationId = `corr-${randomUUID()}`;
    const created = await api('/devices', {
      method: 'POST',
      token: admin,
      body: JSON.stringify(body),
      headers: { 'x-correlation-id': correlationId },
    });
    expect(created.status).toBe(201);
    const device = (await created.json()) as { deviceId: string; version: number; serial: string };
    expect(device).toMatchObject({
      serial: body.serial,
      version: 1,
      status: 'provisioned',
      provisionedBy: 'alice',
      tags: ['water'],
    });
    expect(created.headers.get('etag')).toBe('"1"');

    const fetched = await api(`/devices/${device.deviceId}`, { token: viewer });
    expect(fetched.status).toBe(200);
    expect(await fetched.json()).toMatchObject({ deviceId: device.deviceId, firmwareVersion: '1.2.0' });

    const history = (await (await api(`/devices/${device.deviceId}/history`, { token: viewer })).json()) as {
      entries: {
        type: string;
        actor: { id: string };
        reason: string;
        correlationId: string;
        occurredAt: string;
      }[];
    };
    expect(history.entries).toEqual([
      expect.objectContaining({
        type: 'DeviceProvisioned',
        actor: { type: 'operator', id: 'alice' },
        reason: 'new site north',
        correlationId,
      }),
    ]);
    expect(Date.parse(history.entries[0]!.occurredAt)).toBeGreaterThan(Date.now() - 60_000);

    const records = await eventually(
      async () => onKafka.get(`device-${device.deviceId}`),
      20_000,
      'DeviceProvisioned on Kafka',
    );
    expect(records[0]).toMatchObject({
      envelope: {
        eventType: 'DeviceProvisioned',
        revision: 0,
        actor: { type: 'OPERATOR', id: 'alice' },
        reason: 'new site north',
        correlationId,
      },
      data: { deviceId: device.deviceId, serial: body.serial, firmwareVersion: '1.2.0', tags: ['water'] },
    });
  });

  it.each([
    ['malformed JSON', '{"serial": ', /JSON/i],
    ['a missing field', JSON.stringify({ manufacturer: 'Acme', model: 'X' }), /serial/],
    [
      'a wrong field type',
      JSON.stringify({ serial: 'S', manufacturer: 'Acme', model: 'X', tags: 'water' }),
      /tags/,
    ],
    [
      'an unknown field',
      JSON.stringify({ serial: 'S', manufacturer: 'Acme', model: 'X', colour: 'red' }),
      /colour/,
    ],
  ])('answers 400 naming the problem for %s', async (_, body, problem) => {
    const response = await api('/devices', { method: 'POST', token: admin, body });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toMatch(problem);
  });

  it('answers 404 for an unknown device and 409 for a device id provisioned twice', async () => {
    expect((await api(`/devices/${randomUUID()}`, { token: viewer })).status).toBe(404);
    expect((await api(`/devices/${randomUUID()}/history`, { token: viewer })).status).toBe(404);
    const deviceId = `meter-${randomUUID()}`;
    expect((await provision({ deviceId, ...meter(2) })).status).toBe(201);
    const again = await provision({ deviceId, ...meter(3) });
    expect(again.status).toBe(409);
    expect(JSON.stringify(await again.json())).toMatch(/already provisioned/);
  });

  it('survives kill -9 during a burst: every acknowledged device is stored, relayed and projected once', async () => {
    const acknowledged: string[] = [];
    let sent = 0;
    const burst = Array.from({ length: 8 }, async () => {
      while (sent < 400) {
        sent++;
        const deviceId = `burst-${randomUUID()}`;
        const response = await provision({ deviceId, ...meter('burst') }).catch(() => undefined);
        if (!response) return; // the process died mid-request: not acknowledged
        if (response.status === 201 || response.status === 202) acknowledged.push(deviceId);
      }
    });
    await eventually(async () => (acknowledged.length >= 40 ? true : undefined), 30_000, '40 acknowledged');
    await twin.stop('SIGKILL');
    await Promise.all(burst);
    await twin.start();

    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      const stored = await db.query<{ stream: string; n: string }>(
        `select stream, count(*) as n from event_store.events where stream = any($1) group by stream`,
        [acknowledged.map((id) => `device-${id}`)],
      );
      expect(stored.rows).toHaveLength(acknowledged.length);
      expect(stored.rows.every((r) => r.n === '1')).toBe(true);

      await eventually(
        async () => {
          const { rows } = await db.query<{ n: string }>(
            `select count(*) as n from device_twin.devices where device_id = any($1)`,
            [acknowledged],
          );
          return rows[0]!.n === String(acknowledged.length) ? true : undefined;
        },
        20_000,
        'every acknowledged device in the twin',
      );
      const versions = await db.query(
        `select device_id from device_twin.devices where device_id = any($1) and version <> 1`,
        [acknowledged],
      );
      expect(versions.rows).toEqual([]);
    } finally {
      await db.end();
    }

    await eventually(
      async () => (acknowledged.every((id) => onKafka.has(`device-${id}`)) ? true : undefined),
      30_000,
      'every acknowledged device on Kafka',
    );
    // At-least-once on the bus: a replay after the crash may repeat a record, never invent one.
    for (const id of acknowledged) {
      expect(new Set(onKafka.get(`device-${id}`)!.map((r) => r.envelope.eventId)).size).toBe(1);
    }
  });
});
