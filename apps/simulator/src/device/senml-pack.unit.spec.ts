import { decodeSenml, toDeviceTelemetry } from '@fleet/device-protocol';
import { applyDesired, encodePack, stateRecords, telemetryRecords, UplinkClock } from './senml-pack';

const now = Date.parse('2026-05-01T12:00:00Z');
const ingest = (payload: Buffer) =>
  toDeviceTelemetry(decodeSenml(payload, { now }), {
    deviceId: 'd',
    messageId: 'm',
    receivedAt: now,
    source: 'mqtt',
  });
const readings = { batteryPercent: 87.5, rssi: -97, snr: 8.5, temperature: 21.37, energyWh: 12 };

describe('SenML packs of the simulated device', () => {
  it.each(['json', 'cbor'] as const)(
    'given a base time with milliseconds, when sent as %s, then measuredAt is exactly it',
    (format) => {
      for (const time of [now + 1, now + 123, now + 999, 1_777_636_800_001]) {
        expect(ingest(encodePack(telemetryRecords(readings), time, format)).measuredAt).toBe(time);
      }
    },
  );

  it('given telemetry, when ingested, then battery, RSSI, SNR and temperature arrive', () => {
    const telemetry = ingest(encodePack(telemetryRecords(readings), now, 'cbor'));
    expect(telemetry).toMatchObject({ batteryPercent: 87.5, rssi: -97, snr: 8.5 });
    expect(telemetry.readings).toEqual([
      expect.objectContaining({ path: '/3303/0/5700', numberValue: 21.37, unit: 'Cel' }),
    ]);
  });

  it('given JSON, when encoded, then only the first record carries bt', () => {
    const pack = JSON.parse(encodePack(telemetryRecords(readings), now + 5, 'json').toString()) as object[];
    expect(pack[0]).toEqual({ bt: (now + 5) / 1000, n: '/3/0/9', v: 87.5, u: '%' });
    expect(pack.slice(1).every((record) => !('bt' in record))).toBe(true);
  });

  it('given firmware and configuration, when sent as state, then the twin sees both', () => {
    const configuration = {
      'application.reportingIntervalSeconds': 60,
      'radio.adr': true,
      'custom.unknown': 'x',
    };
    const state = ingest(encodePack(stateRecords('1.4.2', configuration), now, 'json'));
    expect(state.firmwareVersion).toBe('1.4.2');
    expect(Object.keys(state.reportedConfiguration).sort()).toEqual([
      'application.reportingIntervalSeconds',
      'radio.adr',
    ]);
  });

  it('given a desired configuration, when applied, then keys are set and null removes one', () => {
    expect(applyDesired({ 'a.b': 1, 'a.c': 'x' }, { 'a.b': null, 'a.d': true })).toEqual({
      'a.c': 'x',
      'a.d': true,
    });
  });

  it('given uplinks in the same millisecond, when timed, then times still strictly increase', () => {
    const clock = new UplinkClock();
    expect([clock.next(now), clock.next(now), clock.next(now - 10), clock.next(now + 50)]).toEqual([
      now,
      now + 1,
      now + 2,
      now + 50,
    ]);
  });
});
