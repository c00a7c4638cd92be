import {
  AvroCodec,
  fromCommandEventRecord,
  SchemaCatalogue,
  toEventRecord,
  TOPIC_CATALOGUE,
  Topics,
  UndecodableMessageError,
  type EventRecord,
} from '@fleet/contracts';
import type { RecordedEvent } from '@fleet/event-store';
import { toMessage } from '@fleet/messaging';
// The producer's own types: a sample that no longer fits them fails the type check.
import type { CommandEvent } from '../apps/command-dispatcher/src/commands/command-events';

// Every command event type goes through exactly what the relay does (toEventRecord, the codec) and
// comes back, through fromCommandEventRecord, as the plain event command-dispatcher appended.
const catalogue = SchemaCatalogue.load();
const codec = new AvroCodec(catalogue);

const commandId = '7f3e2d1c-0b9a-4876-9543-210fedcba987';
const deviceId = '3f2a9c4e-5b1d-4c8e-9f7a-2d6b8e0c1a34';
const of = { commandId, deviceId };

/** One realistic event per type, in the dispatcher's plain shape. */
const samples: readonly CommandEvent[] = [
  {
    type: 'CommandRequested',
    data: {
      ...of,
      operation: 'write',
      path: '/1/0/1',
      value: 3600,
      arguments: null,
      attributes: null,
      instanceValues: null,
      origin: 'configuration',
      jobId: null,
      configurationKey: 'application.reportingIntervalSeconds',
      expiresAt: '2026-11-23T09:30:00.125Z',
      maxAttempts: 3,
    },
  },
  { type: 'CommandQueued', data: { ...of, delivery: 'on-wake' } },
  {
    type: 'CommandSent',
    data: { ...of, attempt: 1, channel: 'chirpstack', payloadBytes: 11, airtimeMs: 61.7 },
  },
  { type: 'CommandDelivered', data: of },
  {
    type: 'CommandSucceeded',
    data: {
      ...of,
      operation: 'read',
      path: '/3/0',
      code: '2.05',
      values: [
        { path: '/3/0/9', value: 87, time: '2026-11-22T09:31:02.000Z' },
        { path: '/3/0/7', value: 3.61, time: null },
        { path: '/3/0/3', value: '2.4.1', time: null },
        { path: '/3/0/20', value: true, time: null },
      ],
      writtenValue: null,
      configurationKey: null,
    },
  },
  { type: 'CommandFailed', data: { ...of, code: '4.05', reason: 'resource is read-only', attempt: 1 } },
  {
    type: 'CommandRetryScheduled',
    data: { ...of, attempt: 2, notBefore: '2026-11-22T09:35:00.000Z', reason: 'no answer within 30 s' },
  },
  { type: 'CommandExpired', data: { ...of, lastStatus: 'queued' } },
  { type: 'CommandCancelled', data: { ...of, lastStatus: 'sent' } },
  {
    type: 'CommandRefused',
    data: { ...of, gate: 'firmware-update', reason: 'firmware update 2.5.0 in progress; no reboot' },
  },
];

/** More shapes of the events whose data needs mapping. */
const variants: readonly [string, CommandEvent][] = [
  [
    'an Execute with arguments',
    {
      type: 'CommandRequested',
      data: {
        ...of,
        operation: 'execute',
        path: '/5/0/2',
        value: null,
        arguments: "0='https://fw.example/wm-2.5.0.bin'",
        attributes: null,
        instanceValues: null,
        origin: 'campaign',
        jobId: null,
        configurationKey: null,
        expiresAt: '2026-11-29T00:00:00.000Z',
        maxAttempts: 1,
      },
    },
  ],
  [
    'an Observe with some notification attributes',
    {
      type: 'CommandRequested',
      data: {
        ...of,
        operation: 'observe',
        path: '/3303/0/5700',
        value: null,
        arguments: null,
        attributes: { pmin: 60, pmax: 900, gt: 25.5, st: 0.5 },
        instanceValues: null,
        origin: 'operator',
        jobId: null,
        configurationKey: null,
        expiresAt: '2026-11-22T10:30:00.000Z',
        maxAttempts: 5,
      },
    },
  ],
  [
    'a Create with initial values, part of a job',
    {
      type: 'CommandRequested',
      data: {
        ...of,
        operation: 'create',
        path: '/3303',
        value: null,
        arguments: null,
        attributes: null,
        instanceValues: { '5700': -4.25, '5701': 'Cel', '5750': true, '5603': -40 },
        origin: 'job',
        jobId: 'job-2026-11-22-0042',
        configurationKey: null,
        expiresAt: '2026-11-22T12:00:00.000Z',
        maxAttempts: 3,
      },
    },
  ],
  [
    'a configuration Write acknowledged',
    {
      type: 'CommandSucceeded',
      data: {
        ...of,
        operation: 'write',
        path: '/1/0/1',
        code: '2.04',
        values: [],
        writtenValue: 14.5,
        configurationKey: 'radio.txPowerDbm',
      },
    },
  ],
];

function recorded(event: CommandEvent, revision = 4): RecordedEvent {
  return {
    id: `0b8f6c1e-7d2a-4e5b-8c9d-${String(revision).padStart(12, '0')}`,
    type: event.type,
    stream: `command-${commandId}`,
    revision: BigInt(revision),
    position: { commit: 7n, prepare: 7n },
    recordedAt: '2026-11-22T09:30:00.131Z',
    data: event.data as unknown as Record<string, unknown>,
    metadata: {
      actor: { type: 'service', id: 'command-dispatcher' },
      reason: 'configuration change ticket-1002',
      occurredAt: '2026-11-22T09:30:00.125Z',
      correlationId: 'c0ffee00-1111-4222-8333-444455556666',
      causationId: 'a1b2c3d4-0000-4000-8000-000000000001',
      tenant: 'acme-water',
    },
  };
}

/** What a consumer of the topic gets: the relay's message, decoded. */
function relayAndDecode(event: CommandEvent) {
  const message = toMessage(recorded(event), codec);
  const decoded = codec.decode<EventRecord>(message.value);
  return { message, decoded };
}

describe('command events on fleet.command-events.v1', () => {
  const commandSchemas = catalogue.names().filter((name) => name.startsWith('fleet.command.'));

  it('has a schema for every command event type, each declared on the topic, and a sample of each', () => {
    const types = samples.map((s) => `fleet.command.${s.type}`);
    expect(commandSchemas).toEqual([...types].sort());
    expect(TOPIC_CATALOGUE.find((t) => t.name === Topics.commandEvents)).toMatchObject({
      schemas: types,
      key: 'device id',
    });
  });

  it.each(samples.map((s) => [s.type, s] as const))(
    'round-trips %s as the relay publishes it',
    (type, event) => {
      const { message, decoded } = relayAndDecode(event);
      expect(message.key).toBe(deviceId);
      expect(message.headers).toMatchObject({
        'event-type': type,
        'avro-schema': `fleet.command.${type}`,
      });
      expect(decoded.schema).toBe(`fleet.command.${type}`);
      expect(decoded.value.envelope).toEqual(toEventRecord(recorded(event)).envelope);
      expect(fromCommandEventRecord<CommandEvent>(decoded.value)).toEqual(event);
    },
  );

  it.each(variants)('round-trips %s', (_, event) => {
    expect(fromCommandEventRecord<CommandEvent>(relayAndDecode(event).decoded.value)).toEqual(event);
  });

  it('carries scalar values typed and instants as timestamp-millis', () => {
    const succeeded = relayAndDecode(samples[4]!).decoded.value.data as {
      values: { value: object; time: number | null }[];
    };
    expect(succeeded.values.map((v) => v.value)).toEqual([
      expect.objectContaining({ longValue: 87, doubleValue: null }),
      expect.objectContaining({ longValue: null, doubleValue: 3.61 }),
      expect.objectContaining({ stringValue: '2.4.1' }),
      expect.objectContaining({ booleanValue: true }),
    ]);
    expect(succeeded.values[0]!.time).toBe(Date.UTC(2026, 10, 22, 9, 31, 2));
    expect(relayAndDecode(samples[0]!).decoded.value.data).toMatchObject({
      value: { longValue: 3600, doubleValue: null, booleanValue: null, stringValue: null },
      expiresAt: Date.UTC(2026, 10, 23, 9, 30, 0, 125),
    });
  });

  it('reads instants written with an offset back in UTC', () => {
    const event = { ...samples[6]!, data: { ...samples[6]!.data, notBefore: '2026-11-22T10:35:00+01:00' } };
    expect(fromCommandEventRecord(relayAndDecode(event as CommandEvent).decoded.value).data).toMatchObject({
      notBefore: '2026-11-22T09:35:00.000Z',
    });
  });

  it('refuses to encode an instant that is not one, rather than publishing a wrong time', () => {
    const event = { ...samples[0]!, data: { ...samples[0]!.data, expiresAt: 'tomorrow' } };
    expect(() => toEventRecord(recorded(event as CommandEvent))).toThrow(/not an ISO-8601 instant: tomorrow/);
  });

  it('reads values of a type added to ConfigurationValue later as absent, not as garbage', () => {
    const unknownType = { booleanValue: null, longValue: null, doubleValue: null, stringValue: null };
    const record = relayAndDecode(samples[4]!).decoded.value;
    const data = record.data as { values: { value: object }[] };
    data.values[1]!.value = unknownType;
    record.data = { ...data, writtenValue: unknownType };
    const { data: plain } =
      fromCommandEventRecord<Extract<CommandEvent, { type: 'CommandSucceeded' }>>(record);
    expect(plain.values.map((v) => v.path)).toEqual(['/3/0/9', '/3/0/3', '/3/0/20']);
    expect(plain.writtenValue).toBeNull();
  });

  it('refuses a record that is not a command event as undecodable (dead-letter it)', () => {
    const record = relayAndDecode(samples[3]!).decoded.value;
    record.envelope.stream = `device-${deviceId}`;
    expect(() => fromCommandEventRecord(record)).toThrow(UndecodableMessageError);
  });
});
