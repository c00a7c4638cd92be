import {
  AvroCodec,
  fromAvroConfigurationMap,
  SchemaCatalogue,
  toAvroConfigurationMap,
  toEventRecord,
  type EventRecord,
} from '@fleet/contracts';
import type { RecordedEvent } from '@fleet/event-store';

// Every device event type encodes and decodes with its schema as the relay publishes it
// (`{ envelope, data }`), secrets stay out of the bytes, and old records read with new schemas.
const catalogue = SchemaCatalogue.load();
const codec = new AvroCodec(catalogue);

const deviceId = '3f2a9c4e-5b1d-4c8e-9f7a-2d6b8e0c1a34';

function envelope(
  eventType: string,
  revision: number,
  reason: string | null = null,
): EventRecord['envelope'] {
  return {
    eventId: `0b8f6c1e-7d2a-4e5b-8c9d-${String(revision).padStart(12, '0')}`,
    eventType,
    stream: `device-${deviceId}`,
    revision,
    occurredAt: Date.UTC(2026, 10, 22, 9, 30, 0, 125),
    recordedAt: Date.UTC(2026, 10, 22, 9, 30, 0, 131),
    actor: { type: 'OPERATOR', id: 'operator|alice' },
    reason,
    correlationId: 'c0ffee00-1111-4222-8333-444455556666',
    causationId: revision === 0 ? null : 'cmd-7f3e',
    tenant: 'acme-water',
  };
}

const x509 = {
  type: 'x509',
  secretHash: null,
  certificateFingerprint: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  certificateNotAfter: '2028-11-22T00:00:00.000Z',
  kekId: null,
};
const lorawanAppKey = {
  type: 'lorawan-appkey',
  secretHash: null,
  certificateFingerprint: null,
  certificateNotAfter: null,
  kekId: 'kek-2026-11',
};

const provisioned = {
  deviceId,
  serial: 'WM-2026-000417',
  manufacturer: 'Acme Metering',
  model: 'WaterMeter LW-3',
  hardwareRevision: 'C2',
  firmwareVersion: '2.4.1',
  tags: ['district-7', 'pilot'],
  attributes: { site: 'Pumping station 7', customer: 'City of Leiden' },
  deviceClass: { kind: 'lorawan', wakeIntervalSeconds: null, lorawanClass: 'A', devEui: '70B3D57ED005A1B2' },
  region: 'EU868',
  credential: lorawanAppKey,
};

const configurationChange = {
  'radio.adr': true,
  'radio.dataRate': 5,
  'application.logicalName': 'x',
  'radio.txPowerDbm': 14.5,
  'application.destination': null,
};

/** One realistic `data` per device event type, in the shape the schemas carry. */
const samples: Record<string, { data: Record<string, unknown>; reason?: string }> = {
  DeviceProvisioned: { data: provisioned },
  DeviceActivated: { data: { deviceId } },
  DeviceSuspended: { data: { deviceId }, reason: 'Customer contract paused' },
  DeviceResumed: { data: { deviceId }, reason: 'Contract renewed' },
  DeviceQuarantined: { data: { deviceId }, reason: 'Uplinks with replayed frame counters' },
  DeviceCredentialsRotated: { data: { deviceId, credential: x509 }, reason: 'Yearly rotation' },
  DeviceDecommissioned: { data: { deviceId, serial: 'WM-2026-000417' }, reason: 'Meter replaced' },
  DeviceReEnrolled: { data: { deviceId, credential: lorawanAppKey } },
  DeviceLabelsChanged: {
    data: { deviceId, tags: ['district-7'], attributes: { site: 'Pumping station 7', floor: '-1' } },
  },
  DesiredConfigurationChanged: {
    data: { deviceId, changes: toAvroConfigurationMap(configurationChange), jobId: 'job-2026-11-22-0042' },
  },
  ConfigurationApplied: {
    data: {
      deviceId,
      reported: toAvroConfigurationMap({ 'radio.dataRate': 5, 'application.reportingIntervalSeconds': 900 }),
    },
  },
  FirmwareVersionChanged: { data: { deviceId, previousVersion: '2.4.1', firmwareVersion: '2.5.0' } },
};

describe('device events on fleet.device-events.v1', () => {
  it('has a sample for every device event schema in the catalogue', () => {
    const schemas = catalogue.names().filter((name) => name.startsWith('fleet.device.'));
    expect(Object.keys(samples).map((type) => `fleet.device.${type}`)).toEqual(
      expect.arrayContaining(schemas),
    );
    expect(Object.keys(samples)).toHaveLength(schemas.length);
  });

  it.each(Object.entries(samples))('round-trips %s through the codec', (type, { data, reason }) => {
    const record: EventRecord = {
      envelope: envelope(type, 3, reason ?? null),
      data,
    };
    const bytes = codec.encode(`fleet.device.${type}`, record);
    const decoded = codec.decode(bytes);
    expect(decoded.schema).toBe(`fleet.device.${type}`);
    expect(decoded.writerVersion).toBe(catalogue.latest(`fleet.device.${type}`).version);
    expect(decoded.value).toEqual(record);
  });

  it('carries configuration values typed: integers as long, other numbers as double, null removes', () => {
    const bytes = codec.encode('fleet.device.DesiredConfigurationChanged', {
      envelope: envelope('DesiredConfigurationChanged', 5),
      data: samples['DesiredConfigurationChanged']!.data,
    });
    const { changes } =
      codec.decode<EventRecord<{ changes: Parameters<typeof fromAvroConfigurationMap>[0] }>>(bytes).value
        .data;
    expect(changes['radio.dataRate']).toEqual(expect.objectContaining({ longValue: 5, doubleValue: null }));
    expect(changes['radio.txPowerDbm']).toEqual(
      expect.objectContaining({ longValue: null, doubleValue: 14.5 }),
    );
    expect(changes['radio.adr']).toEqual(expect.objectContaining({ booleanValue: true }));
    expect(changes['application.destination']).toBeNull();
    expect(fromAvroConfigurationMap(changes)).toEqual(configurationChange);
  });

  it('never puts the AppKey ciphertext kept in the event store on Kafka', () => {
    const recorded: RecordedEvent = {
      id: '0b8f6c1e-7d2a-4e5b-8c9d-000000000000',
      type: 'DeviceProvisioned',
      stream: `device-${deviceId}`,
      revision: 0n,
      position: { commit: 1n, prepare: 1n },
      recordedAt: '2026-11-22T09:30:00.131Z',
      data: { ...provisioned, credential: { ...lorawanAppKey, appKeyCiphertext: 'SECRET-CIPHERTEXT' } },
      metadata: {
        actor: { type: 'operator', id: 'operator|alice' },
        reason: null,
        occurredAt: '2026-11-22T09:30:00.125Z',
        correlationId: 'c0ffee00-1111-4222-8333-444455556666',
        causationId: null,
        tenant: 'acme-water',
      },
    };
    const bytes = codec.encode('fleet.device.DeviceProvisioned', toEventRecord(recorded));
    expect(bytes.includes('SECRET-CIPHERTEXT')).toBe(false);
    expect(bytes.includes('kek-2026-11')).toBe(true);
    const decoded = codec.decode<EventRecord<{ credential: object }>>(bytes);
    expect(decoded.value.data.credential).toEqual(lorawanAppKey);
    expect(decoded.value.data.credential).not.toHaveProperty('appKeyCiphertext');
  });

  it('defines the credential record identically in every schema that carries it', () => {
    const definitions = ['DeviceProvisioned', 'DeviceCredentialsRotated', 'DeviceReEnrolled'].map((type) =>
      findRecord(
        catalogue.latest(`fleet.device.${type}`).type.schema({ exportAttrs: true }),
        'DeviceCredential',
      ),
    );
    expect(definitions[0]).toBeDefined();
    expect(definitions[1]).toEqual(definitions[0]);
    expect(definitions[2]).toEqual(definitions[0]);
  });

  describe('DeviceProvisioned written with v1', () => {
    const [v1] = catalogue.versions('fleet.device.DeviceProvisioned');
    const v1Writer = new AvroCodec(new SchemaCatalogue([v1!]));
    const v1Data = {
      deviceId,
      serial: 'WM-2025-000012',
      manufacturer: 'Acme Metering',
      model: 'WaterMeter LW-2',
      hardwareRevision: null,
      firmwareVersion: '1.9.0',
      tags: ['legacy'],
      attributes: { site: 'Depot' },
    };

    it('reads with the latest schema, the fields added in v2 taking their documented defaults', () => {
      const bytes = v1Writer.encode('fleet.device.DeviceProvisioned', {
        envelope: envelope('DeviceProvisioned', 0),
        data: v1Data,
      });
      const decoded = codec.decode<EventRecord>(bytes);
      expect(decoded.writerVersion).toBe(1);
      expect(decoded.value.data).toEqual({
        ...v1Data,
        deviceClass: { kind: 'always-on', wakeIntervalSeconds: null, lorawanClass: null, devEui: null },
        region: null,
        credential: {
          type: 'secret',
          secretHash: null,
          certificateFingerprint: null,
          certificateNotAfter: null,
          kekId: null,
        },
      });
    });

    it('encodes with the latest schema too when the stored event predates v2 (defaults fill in)', () => {
      const bytes = codec.encode('fleet.device.DeviceProvisioned', {
        envelope: envelope('DeviceProvisioned', 0),
        data: v1Data,
      });
      expect(codec.decode<EventRecord>(bytes).value.data).toEqual(
        expect.objectContaining({
          region: null,
          deviceClass: expect.objectContaining({ kind: 'always-on' }),
        }),
      );
    });
  });
});

function findRecord(schema: unknown, name: string): unknown {
  if (Array.isArray(schema)) {
    for (const s of schema) {
      const found = findRecord(s, name);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof schema !== 'object' || schema === null) return undefined;
  const s = schema as { name?: string; fields?: { type: unknown }[]; items?: unknown; values?: unknown };
  if (s.fields && s.name === `fleet.device.${name}`) return s;
  return findRecord([...(s.fields ?? []).map((f) => f.type), s.items, s.values], name);
}
