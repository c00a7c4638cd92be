import { randomUUID } from 'node:crypto';
import { AvroCodec, SchemaCatalogue, toEventRecord } from '@fleet/contracts';
import type { RecordedEvent } from '@fleet/event-store';
import { toMessage, type OutgoingMessage } from '@fleet/messaging';
import { eventually } from '@fleet/testing';
import { DeviceTwinHarness } from '../support/device-twin-harness';

interface Twin {
  deviceId: string;
  version: number;
  desired: Record<string, unknown>;
  reported: Record<string, unknown>;
  delta: Record<string, unknown>;
}

interface HistoryEntry {
  eventId: string;
  type: string;
  occurredAt: string;
  actor: { type: string; id: string };
  reason: string | null;
  correlationId: string;
  causationId: string | null;
  data: { reported?: Record<string, unknown> };
}

const INTERVAL = 'application.reportingIntervalSeconds';
const NAME = 'application.logicalName';

// The device-twin half of the configuration loop, against the compiled service: command-dispatcher's
// relay publishes that a device acknowledged a configuration Write (records built exactly as the
// relay builds them), and the twin must record the written value as reported configuration, once.
describe('device-twin: acknowledged configuration writes close the configuration loop', () => {
  const h = new DeviceTwinHarness();
  const codec = new AvroCodec(SchemaCatalogue.load());
  let deviceId: string;
  let commandSeq = 0;

  const twin = async () => (await h.json<Twin>(`/devices/${deviceId}`, { token: h.tokens.viewer })).body;
  const applied = async () =>
    (
      await h.json<{ entries: HistoryEntry[] }>(`/devices/${deviceId}/history?type=ConfigurationApplied`, {
        token: h.tokens.viewer,
      })
    ).body.entries;

  /** A command event as the dispatcher's event store records it, and the relay's record of it. */
  function commandEvent(
    commandId: string,
    type: string,
    data: Record<string, unknown>,
    occurredAt = new Date(),
  ): { event: RecordedEvent; message: OutgoingMessage } {
    const event: RecordedEvent = {
      id: randomUUID(),
      type,
      stream: `command-${commandId}`,
      revision: BigInt(commandSeq++ % 5),
      position: { commit: BigInt(commandSeq), prepare: BigInt(commandSeq) },
      recordedAt: occurredAt.toISOString(),
      data: { commandId, deviceId, ...data },
      metadata: {
        actor: { type: 'service', id: 'command-dispatcher' },
        reason: null,
        occurredAt: occurredAt.toISOString(),
        correlationId: `config-change-${commandId.slice(0, 8)}`,
        causationId: null,
        tenant: 'default',
      },
    };
    return { event, message: toMessage(event, codec) };
  }

  /** The life of a configuration-loop Write up to the device's acknowledgement. */
  function configurationWrite(key: string, path: string, value: string | number | boolean) {
    const commandId = randomUUID();
    const operation = { operation: 'write', path };
    const lifecycle = [
      commandEvent(commandId, 'CommandRequested', {
        ...operation,
        value,
        arguments: null,
        attributes: null,
        instanceValues: null,
        origin: 'configuration',
        jobId: null,
        configurationKey: key,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        maxAttempts: 3,
      }),
      commandEvent(commandId, 'CommandQueued', { delivery: 'immediate' }),
      commandEvent(commandId, 'CommandSent', {
        attempt: 1,
        channel: 'mqtt',
        payloadBytes: 42,
        airtimeMs: null,
      }),
      commandEvent(commandId, 'CommandDelivered', {}),
    ];
    const succeeded = commandEvent(commandId, 'CommandSucceeded', {
      ...operation,
      code: '2.04',
      values: [],
      writtenValue: value,
      configurationKey: key,
    });
    return { commandId, lifecycle: lifecycle.map((e) => e.message), succeeded };
  }

  /** Sends a write's success and waits for the twin to report it: everything before it on the partition was handled. */
  async function acknowledgeAndWait(key: string, value: string) {
    const write = configurationWrite(key, '/10250/0/1', value);
    await h.sendCommandEvents([write.succeeded.message]);
    await eventually(
      async () => ((await twin()).reported[key] === value ? true : undefined),
      30_000,
      `${key} = ${value} reported`,
    );
    return write;
  }

  let first: ReturnType<typeof configurationWrite>;

  beforeAll(async () => {
    await h.start();
    const provisioned = await h.json<Twin>('/devices', {
      method: 'POST',
      token: h.tokens.operator,
      body: JSON.stringify({
        serial: `SN-loop-${randomUUID().slice(0, 8)}`,
        manufacturer: 'Acme',
        model: 'WM-200',
      }),
    });
    expect(provisioned.status).toBe(201);
    deviceId = provisioned.body.deviceId;
  });
  afterAll(() => h.stop());

  it('takes an acknowledged write as reported configuration: ConfigurationApplied by the device', async () => {
    const changed = await h.json<Twin>(`/devices/${deviceId}/desired`, {
      method: 'PATCH',
      token: h.tokens.operator,
      body: JSON.stringify({
        desired: { application: { reportingIntervalSeconds: 600 } },
        reason: 'hourly billing',
      }),
    });
    expect(changed.status).toBe(200);
    expect(changed.body.delta).toEqual({ [INTERVAL]: 600 });

    first = configurationWrite(INTERVAL, '/1/0/1', 600);
    await h.sendCommandEvents([...first.lifecycle, first.succeeded.message]);

    const reported = await eventually(
      async () => {
        const t = await twin();
        return t.reported[INTERVAL] === 600 ? t : undefined;
      },
      30_000,
      'the acknowledged value in the twin',
    );
    expect(reported.delta).toEqual({});
    const history = await applied();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      actor: { type: 'device', id: deviceId },
      reason: `acknowledged configuration write ${first.commandId}`,
      correlationId: first.succeeded.event.metadata.correlationId,
      causationId: first.succeeded.event.id,
      occurredAt: first.succeeded.event.metadata.occurredAt,
      data: { reported: { [INTERVAL]: 600 } },
    });
  });

  it('changes nothing when the same record is delivered again', async () => {
    const before = await twin();
    await h.sendCommandEvents([first.succeeded.message]);
    // Same device, same partition: once this one is reported, the copy before it was handled.
    const sentinel = await acknowledgeAndWait(NAME, 'meter north 1');

    const history = await applied();
    expect(history.map((e) => e.causationId)).toEqual([
      first.succeeded.event.id,
      sentinel.succeeded.event.id,
    ]);
    expect((await twin()).version).toBe(before.version + 1);
  });

  it('does not let a late copy of an acknowledgement overwrite what the device reported since', async () => {
    await h.sendTelemetry([{ deviceId, reportedConfiguration: { [INTERVAL]: 900 } }]);
    await eventually(
      async () => ((await twin()).reported[INTERVAL] === 900 ? true : undefined),
      30_000,
      'the newer report in the twin',
    );
    await h.sendCommandEvents([first.succeeded.message]);
    await acknowledgeAndWait(NAME, 'meter north 2');

    expect((await twin()).reported[INTERVAL]).toBe(900);
    expect((await applied()).map((e) => e.data.reported)).toEqual([
      { [INTERVAL]: 600 },
      { [NAME]: 'meter north 1' },
      { [INTERVAL]: 900 },
      { [NAME]: 'meter north 2' },
    ]);
  });

  it('skips other command events and reads, dead-letters what it cannot decode, and keeps going', async () => {
    const reasons = await h.watchDeadLetters(h.commandEventsTopic);
    const before = (await applied()).length;
    const read = commandEvent(randomUUID(), 'CommandSucceeded', {
      operation: 'read',
      path: '/3/0/9',
      code: '2.05',
      values: [{ path: '/3/0/9', value: 87, time: null }],
      writtenValue: null,
      configurationKey: null,
    });
    const failed = commandEvent(randomUUID(), 'CommandFailed', {
      code: '4.05',
      reason: 'read-only',
      attempt: 1,
    });
    // A device event that strayed onto the topic, without the relay's headers to skip it by.
    const stray = codec.encode(
      'fleet.device.DeviceActivated',
      toEventRecord({
        ...read.event,
        stream: `device-${deviceId}`,
        type: 'DeviceActivated',
        data: { deviceId },
      }),
    );
    await h.sendCommandEvents([
      read.message,
      failed.message,
      { key: deviceId, value: Buffer.from('not avro at all') },
      { key: deviceId, value: stray },
    ]);
    await acknowledgeAndWait(NAME, 'meter north 3');

    await eventually(async () => (reasons.length >= 2 ? true : undefined), 30_000, 'two dead letters');
    expect(reasons).toEqual([
      expect.stringMatching(/not Avro single-object encoded/),
      expect.stringMatching(/expected a command event, got fleet.device.DeviceActivated/),
    ]);
    expect(await applied()).toHaveLength(before + 1);
  });

  it('ignores acknowledgements for devices it does not know, without holding up the rest', async () => {
    const unknown = configurationWrite(INTERVAL, '/1/0/1', 300);
    const { event } = unknown.succeeded;
    const orphan = toMessage({ ...event, data: { ...event.data, deviceId: 'no-such-device' } }, codec);
    await h.sendCommandEvents([orphan]);
    await eventually(
      async () => {
        const metrics = await (await fetch(`${h.twin.url}/metrics`)).text();
        return /fleet_twin_acknowledged_configuration_total\{[^}]*outcome="ignored"[^}]*\} 1\b/.test(metrics)
          ? true
          : undefined;
      },
      30_000,
      'the orphan acknowledgement counted as ignored',
    );
    await acknowledgeAndWait(NAME, 'meter north 4');
  });
});
