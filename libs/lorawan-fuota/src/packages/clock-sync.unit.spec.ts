import {
  clockSync,
  gpsSecondsOf,
  timeCorrectionFor,
  type ClockSyncDownlink,
  type ClockSyncUplink,
} from './clock-sync';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/\s/g, ''), 'hex'));
const hex = (value: Uint8Array) => Buffer.from(value).toString('hex');

// Byte examples of brocaar/lorawan's applayer/clocksync tests (an independent Go implementation).
const downlinks: [string, ClockSyncDownlink, string][] = [
  ['PackageVersionReq', { type: 'PackageVersionReq' }, '00'],
  ['AppTimeAns', { type: 'AppTimeAns', timeCorrection: -134480385, tokenAns: 5 }, '01 fffdfbf7 05'],
  ['DeviceAppTimePeriodicityReq', { type: 'DeviceAppTimePeriodicityReq', periodicity: 5 }, '02 05'],
  ['ForceDeviceResyncReq', { type: 'ForceDeviceResyncReq', nbTransmissions: 5 }, '03 05'],
];

const uplinks: [string, ClockSyncUplink, string][] = [
  ['PackageVersionAns', { type: 'PackageVersionAns', packageIdentifier: 1, packageVersion: 1 }, '00 01 01'],
  [
    'AppTimeReq',
    { type: 'AppTimeReq', deviceTime: 134480385, tokenReq: 5, ansRequired: true },
    '01 01020408 15',
  ],
  [
    'DeviceAppTimePeriodicityAns',
    { type: 'DeviceAppTimePeriodicityAns', notSupported: true, deviceTime: 134480385 },
    '02 01 01020408',
  ],
];

describe('TS003 clock synchronisation commands (FPort 202)', () => {
  it.each(downlinks)(
    'given a %s, when encoded and decoded, then the bytes are the reference ones and it round-trips',
    (_, command, wire) => {
      expect(hex(clockSync.encodeDownlink([command]))).toBe(wire.replace(/\s/g, ''));
      expect(clockSync.decodeDownlink(bytes(wire))).toEqual([command]);
    },
  );

  it.each(uplinks)(
    'given a %s, when encoded and decoded, then the bytes are the reference ones and it round-trips',
    (_, command, wire) => {
      expect(hex(clockSync.encodeUplink([command]))).toBe(wire.replace(/\s/g, ''));
      expect(clockSync.decodeUplink(bytes(wire))).toEqual([command]);
    },
  );

  it('given the GPS epoch and a later UTC time, when converted, then GPS seconds count from 1980-01-06 with 18 leap seconds', () => {
    expect(gpsSecondsOf(Date.parse('1980-01-06T00:00:00Z'), 0)).toBe(0);
    // 2025-01-01T00:00:00Z is GPS week 2347, 259218 s into it (18 leap seconds ahead of UTC).
    expect(gpsSecondsOf(Date.parse('2025-01-01T00:00:00Z'))).toBe(2347 * 604800 + 259218);
  });

  it('given a device clock 5 s fast, when the correction is computed, then it is -5', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');

    expect(timeCorrectionFor(gpsSecondsOf(now) + 5, now)).toBe(-5);
  });

  it('given a truncated AppTimeReq, when decoded, then it is refused', () => {
    expect(() => clockSync.decodeUplink(bytes('01 01020408'))).toThrow('AppTimeReq: needs 1 more bytes');
  });
});
