import { AvroCodec, SchemaCatalogue } from '@fleet/contracts';
import type { IncomingMessage } from '@fleet/messaging';
import { TelemetryDecoder } from './telemetry-decoder';

const catalogue = SchemaCatalogue.load();
const codec = new AvroCodec(catalogue);
const decoder = new TelemetryDecoder(catalogue);

const record = {
  messageId: 'm1',
  deviceId: 'd1',
  receivedAt: Date.UTC(2026, 0, 1),
  measuredAt: null,
  source: 'mqtt',
  batteryPercent: 55,
  rssi: -90,
  snr: null,
  frameCounter: 7,
  dataRate: null,
  airtimeMs: 12.5,
  firmwareVersion: '1.0.0',
  reportedConfiguration: {},
  readings: [
    {
      path: '/3303/0/5700',
      time: null,
      numberValue: 21.5,
      stringValue: null,
      booleanValue: null,
      unit: 'Cel',
    },
    { path: '/3/0/3', time: null, numberValue: null, stringValue: '1.0.0', booleanValue: null, unit: null },
  ],
};

const message = (value: Buffer | null, key: string | null = 'd1'): IncomingMessage => ({
  topic: 't',
  partition: 0,
  offset: '0',
  key,
  value,
  headers: {},
  timestamp: 0,
});

describe('telemetry decoding', () => {
  it('given an uplink as ingestion writes it, then rules get the fields they read and numeric readings only', () => {
    expect(decoder.decode(message(codec.encode('fleet.telemetry.DeviceTelemetry', record)))).toEqual({
      messageId: 'm1',
      deviceId: 'd1',
      receivedAt: record.receivedAt,
      batteryPercent: 55,
      rssi: -90,
      snr: null,
      airtimeMs: 12.5,
      readings: [{ path: '/3303/0/5700', numberValue: 21.5 }],
    });
  });

  it.each([
    ['JSON', Buffer.from('{"deviceId":"d1"}'), /not Avro/],
    [
      'another schema',
      codec.encode('fleet.telemetry.CommandResponse', {
        messageId: 'm',
        deviceId: 'd1',
        receivedAt: 1,
        commandId: 'c',
        status: 'succeeded',
        code: '2.05',
        reason: null,
        observation: null,
        values: [],
      }),
      /expected fleet.telemetry.DeviceTelemetry/,
    ],
    [
      'a battery of 140 %',
      codec.encode('fleet.telemetry.DeviceTelemetry', { ...record, batteryPercent: 140 }),
      /batteryPercent 140/,
    ],
  ])('given %s, then it is refused for the dead-letter topic', (_, bytes, reason) => {
    expect(() => decoder.decode(message(bytes))).toThrow(reason);
  });

  it('given a key that is not the device, then it is refused', () => {
    expect(() =>
      decoder.decode(message(codec.encode('fleet.telemetry.DeviceTelemetry', record), 'd2')),
    ).toThrow(/record key d2/);
  });
});
