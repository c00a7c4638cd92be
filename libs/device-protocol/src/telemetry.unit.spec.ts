import { SchemaCatalogue } from '@fleet/contracts';
import type { types } from 'avsc';
import { decodeSenml } from './senml';
import { toDeviceTelemetry, type LinkQuality } from './telemetry';
import { json, rejectionOf } from './rejection.test-support';

const receivedAt = Date.parse('2026-05-01T12:00:00Z');
const context = { deviceId: 'meter-1', messageId: 'm-1', receivedAt, source: 'mqtt' as const };
const link: LinkQuality = {
  rssi: -110,
  snr: 7.5,
  frameCounter: 42,
  dataRate: 'SF9BW125',
  airtimeMs: 205.824,
};
const telemetryOf = (pack: unknown[], extra: { link?: LinkQuality } = {}) =>
  toDeviceTelemetry(decodeSenml(json(pack), { now: receivedAt }), { ...context, ...extra });
const schema = SchemaCatalogue.load().latest('fleet.telemetry.DeviceTelemetry').type as types.RecordType;
const empty = { booleanValue: null, longValue: null, doubleValue: null, stringValue: null };

describe('SenML records to DeviceTelemetry', () => {
  it('given a pack with every kind of resource, when mapped, then fields, configuration and readings are filled', () => {
    const telemetry = telemetryOf([
      { bn: '/3/0/', n: '9', v: 87 },
      { n: '3', vs: '1.4.2' },
      { bn: '/4/0/', n: '2', v: -97 },
      { n: '11', v: 9.5 },
      { bn: '', n: '/3303/0/5700', v: 21.5, u: 'Cel' },
      { n: '/3304/2/5700', v: 40 },
      { n: '/26241/0/2', v: 600 },
      { n: '/26242/0/4', v: 14.5 },
      { n: '/26242/0/3', vb: true },
    ]);

    expect(telemetry).toEqual({
      messageId: 'm-1',
      deviceId: 'meter-1',
      receivedAt,
      measuredAt: null,
      source: 'mqtt',
      batteryPercent: 87,
      rssi: -97,
      snr: 9.5,
      frameCounter: null,
      dataRate: null,
      airtimeMs: null,
      firmwareVersion: '1.4.2',
      reportedConfiguration: {
        'application.reportingIntervalSeconds': { ...empty, longValue: 600 },
        'radio.txPowerDbm': { ...empty, doubleValue: 14.5 },
        'radio.adr': { ...empty, booleanValue: true },
      },
      readings: [
        {
          path: '/3303/0/5700',
          time: null,
          numberValue: 21.5,
          stringValue: null,
          booleanValue: null,
          unit: 'Cel',
        },
        {
          path: '/3304/2/5700',
          time: null,
          numberValue: 40,
          stringValue: null,
          booleanValue: null,
          unit: '%RH',
        },
      ],
    });
  });

  it('given any mapped uplink, when checked against the Avro schema, then it is valid with exactly its fields in order', () => {
    const telemetry = telemetryOf(
      [
        { n: '/3/0/9', v: 50, t: -10 },
        { n: '/5/0/7', vs: 'fw.bin' },
      ],
      { link },
    );

    expect(Object.keys(telemetry)).toEqual(schema.fields.map((field) => field.name));
    expect(schema.isValid(telemetry)).toBe(true);
    expect(schema.fromBuffer(schema.toBuffer(telemetry))).toEqual(telemetry);
  });

  describe('network-server link quality', () => {
    it('given a network-server link, when mapped, then its RSSI and SNR win and the device view stays a reading', () => {
      const telemetry = telemetryOf(
        [
          { n: '/4/0/2', v: -80 },
          { n: '/4/0/11', v: 3 },
        ],
        { link },
      );

      expect(telemetry).toMatchObject({
        rssi: -110,
        snr: 7.5,
        frameCounter: 42,
        dataRate: 'SF9BW125',
        airtimeMs: 205.824,
      });
      expect(telemetry.readings.map((r) => [r.path, r.numberValue, r.unit])).toEqual([
        ['/4/0/2', -80, 'dBm'],
        ['/4/0/11', 3, 'dB'],
      ]);
    });

    it('given a link without RSSI, when the device reports /4/0/2, then the device value fills rssi', () => {
      const telemetry = telemetryOf([{ n: '/4/0/2', v: -80 }], { link: { ...link, rssi: null, snr: null } });

      expect(telemetry).toMatchObject({ rssi: -80, snr: null, readings: [] });
    });
  });

  describe('times', () => {
    it('given timed and untimed records, when mapped, then measuredAt is the latest time and untimed readings get receivedAt', () => {
      const telemetry = telemetryOf([
        { n: '/3303/0/5700', v: 20, t: -120 },
        { n: '/3303/0/5700', v: 21, t: -60 },
        { n: '/3304/0/5700', v: 50 },
      ]);

      expect(telemetry.measuredAt).toBe(receivedAt - 60_000);
      expect(telemetry.readings.map((r) => r.time)).toEqual([
        receivedAt - 120_000,
        receivedAt - 60_000,
        receivedAt,
      ]);
    });

    it('given a field reported twice, when mapped, then the latest measurement wins whatever the order', () => {
      const telemetry = telemetryOf([
        { n: '/3/0/9', v: 70, t: -60 },
        { n: '/3/0/9', v: 90, t: -600 },
      ]);

      expect(telemetry.batteryPercent).toBe(70);
    });
  });

  describe('validation against the registry', () => {
    it.each([
      [{ n: '/3/0/9', v: 140 }, 'out-of-range', '/3/0/9: 140 is above the maximum 100'],
      [{ n: '/4/0/2', v: -250 }, 'out-of-range', '/4/0/2: -250 is below the minimum -200'],
      [{ n: '/3/0/9', vs: '87' }, 'wrong-type', '/3/0/9: expected a number, got a string'],
      [{ n: '/26241/0/2', v: 600.5 }, 'wrong-type', '/26241/0/2: expected an integer, got 600.5'],
      [
        { n: '/26241/0/3', vs: 'sometimes' },
        'out-of-range',
        '/26241/0/3: "sometimes" is not one of always-on, periodic, on-event',
      ],
      [{ n: '/26242/0/1', vs: 'xyz' }, 'out-of-range', '/26242/0/1: "xyz" is not 4 to 24 hexadecimal digits'],
      [{ n: '/3/0/3', vs: '' }, 'out-of-range', '/3/0/3: "" is shorter than 1 character'],
      [
        { n: '/3303/0/5700', v: 300, u: 'K' },
        'wrong-unit',
        '/3303/0/5700: unit "K" where "Cel" was expected',
      ],
      [{ n: '/3/0/99', v: 1 }, 'unknown-path', '/3/0/99: unknown path (not a resource Fleetwise knows)'],
      [{ n: '/3/0/6/1', v: 1 }, 'unknown-path', '/3/0/6/1: unknown path (not a resource Fleetwise knows)'],
      [
        { n: 'temperature', v: 1 },
        'malformed',
        '"temperature" is not an LwM2M resource path /object/instance/resource',
      ],
    ])('given %j, when mapped, then it is %s: %s', (record, code, reason) => {
      expect(rejectionOf(() => telemetryOf([record]))).toMatchObject({ code, reason });
    });

    it('given the spec example whose base name carries over (RFC 8428), when mapped, then the joined name is refused', () => {
      const pack = [
        { bn: '/3/0/', n: '9', v: 87 },
        { bn: '/4/0/', n: '2', v: -97 },
        { n: '/3303/0/5700', v: 21.5 },
      ];

      expect(rejectionOf(() => telemetryOf(pack)).reason).toBe(
        '"/4/0//3303/0/5700" is not an LwM2M resource path /object/instance/resource',
      );
    });

    it('given a valid value after an invalid one, when mapped, then the whole uplink is refused', () => {
      expect(() =>
        telemetryOf([
          { n: '/3/0/9', v: -1 },
          { n: '/3/0/9', v: 50 },
        ]),
      ).toThrow('below the minimum 0');
    });
  });
});
