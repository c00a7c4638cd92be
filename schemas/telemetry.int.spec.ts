import {
  AvroCodec,
  fromAvroConfigurationMap,
  SchemaCatalogue,
  toAvroConfigurationMap,
  Topics,
  TOPIC_CATALOGUE,
} from '@fleet/contracts';

// What ingestion publishes on fleet.telemetry.v1 and device-twin consumes.
const catalogue = SchemaCatalogue.load();
const codec = new AvroCodec(catalogue);

const uplink = {
  messageId: 'chirpstack:7c1e4f0a-93d2-4b6e-a1f8-5e2d9c3b7a10',
  deviceId: '3f2a9c4e-5b1d-4c8e-9f7a-2d6b8e0c1a34',
  receivedAt: Date.UTC(2026, 10, 22, 9, 31, 4, 512),
  measuredAt: Date.UTC(2026, 10, 22, 9, 31, 0, 0),
  source: 'chirpstack',
  batteryPercent: 87.5,
  rssi: -112,
  snr: -7.25,
  frameCounter: 48213,
  dataRate: 'DR5',
  airtimeMs: 61.696,
  firmwareVersion: '2.5.0',
  reportedConfiguration: toAvroConfigurationMap({
    'radio.dataRate': 5,
    'radio.adr': true,
    'application.reportingIntervalSeconds': 900,
  }),
  readings: [
    {
      path: '/3/0/9',
      time: null,
      numberValue: 87.5,
      stringValue: null,
      booleanValue: null,
      unit: '%',
    },
    {
      path: '/3303/0/5700',
      time: Date.UTC(2026, 10, 22, 9, 30, 0, 0),
      numberValue: 11.4,
      stringValue: null,
      booleanValue: null,
      unit: 'Cel',
    },
    {
      path: '/3200/0/5500',
      time: null,
      numberValue: null,
      stringValue: null,
      booleanValue: true,
      unit: null,
    },
  ],
};

describe('fleet.telemetry.DeviceTelemetry', () => {
  it('is the value schema of fleet.telemetry.v1', () => {
    expect(TOPIC_CATALOGUE.find((t) => t.name === Topics.telemetry)?.schemas).toEqual([
      'fleet.telemetry.DeviceTelemetry',
    ]);
  });

  it('round-trips a decoded LoRaWAN uplink', () => {
    const decoded = codec.decode(codec.encode('fleet.telemetry.DeviceTelemetry', uplink));
    expect(decoded.schema).toBe('fleet.telemetry.DeviceTelemetry');
    expect(decoded.value).toEqual(uplink);
    expect(fromAvroConfigurationMap((decoded.value as typeof uplink).reportedConfiguration)).toEqual({
      'radio.dataRate': 5,
      'radio.adr': true,
      'application.reportingIntervalSeconds': 900,
    });
  });

  it('encodes a minimal MQTT uplink, optional fields taking their defaults', () => {
    const minimal = {
      messageId: 'mqtt:1',
      deviceId: uplink.deviceId,
      receivedAt: uplink.receivedAt,
      source: 'mqtt',
    };
    expect(codec.decode(codec.encode('fleet.telemetry.DeviceTelemetry', minimal)).value).toEqual({
      ...minimal,
      measuredAt: null,
      batteryPercent: null,
      rssi: null,
      snr: null,
      frameCounter: null,
      dataRate: null,
      airtimeMs: null,
      firmwareVersion: null,
      reportedConfiguration: {},
      readings: [],
    });
  });
});
