import { field, packageCodec, type CommandSpec } from './package-codec';

/**
 * TS003 Application Layer Clock Synchronization v1.0.0 on FPort 202 (package 1, version 1): the
 * device says what time it thinks it is, the server answers with a correction, so that multicast
 * sessions (SessionTime) start at the same second on every device.
 */
export const CLOCK_SYNC_PORT = 202;
export const CLOCK_SYNC_PACKAGE_ID = 1;

/** Seconds between the Unix epoch and the GPS epoch (1980-01-06T00:00:00Z), leap seconds aside. */
export const GPS_EPOCH_UNIX_SECONDS = 315_964_800;
/** GPS − UTC since 2017-01-01: GPS time does not leap. */
export const GPS_UTC_LEAP_SECONDS = 18;

export type ClockSyncDownlink =
  | { readonly type: 'PackageVersionReq' }
  /** The device should add timeCorrection (seconds, signed) to its clock; tokenAns echoes tokenReq. */
  | { readonly type: 'AppTimeAns'; readonly timeCorrection: number; readonly tokenAns: number }
  /** Ask the device to send AppTimeReq every 128 × 2^periodicity seconds. */
  | { readonly type: 'DeviceAppTimePeriodicityReq'; readonly periodicity: number }
  /** Ask the device to resynchronise now, with up to nbTransmissions AppTimeReq (0-7). */
  | { readonly type: 'ForceDeviceResyncReq'; readonly nbTransmissions: number };

export type ClockSyncUplink =
  | {
      readonly type: 'PackageVersionAns';
      readonly packageIdentifier: number;
      readonly packageVersion: number;
    }
  /** deviceTime: the device's clock in GPS seconds modulo 2^32. */
  | {
      readonly type: 'AppTimeReq';
      readonly deviceTime: number;
      readonly tokenReq: number;
      readonly ansRequired: boolean;
    }
  | {
      readonly type: 'DeviceAppTimePeriodicityAns';
      readonly notSupported: boolean;
      readonly deviceTime: number;
    };

type Down<T extends ClockSyncDownlink['type']> = Extract<ClockSyncDownlink, { type: T }>;
type Up<T extends ClockSyncUplink['type']> = Extract<ClockSyncUplink, { type: T }>;

const packageVersionReq: CommandSpec<Down<'PackageVersionReq'>> = {
  cid: 0x00,
  type: 'PackageVersionReq',
  encode: () => undefined,
  decode: () => ({ type: 'PackageVersionReq' }),
};

const appTimeAns: CommandSpec<Down<'AppTimeAns'>> = {
  cid: 0x01,
  type: 'AppTimeAns',
  encode: (c, w) =>
    w
      .u32(field(c.type, 'timeCorrection', c.timeCorrection, -0x80000000, 0x7fffffff))
      .u8(field(c.type, 'tokenAns', c.tokenAns, 0, 15)),
  decode: (r) => ({ type: 'AppTimeAns', timeCorrection: r.i32(), tokenAns: r.u8() & 0x0f }),
};

const periodicityReq: CommandSpec<Down<'DeviceAppTimePeriodicityReq'>> = {
  cid: 0x02,
  type: 'DeviceAppTimePeriodicityReq',
  encode: (c, w) => w.u8(field(c.type, 'periodicity', c.periodicity, 0, 15)),
  decode: (r) => ({ type: 'DeviceAppTimePeriodicityReq', periodicity: r.u8() & 0x0f }),
};

const forceResyncReq: CommandSpec<Down<'ForceDeviceResyncReq'>> = {
  cid: 0x03,
  type: 'ForceDeviceResyncReq',
  encode: (c, w) => w.u8(field(c.type, 'nbTransmissions', c.nbTransmissions, 0, 7)),
  decode: (r) => ({ type: 'ForceDeviceResyncReq', nbTransmissions: r.u8() & 0x07 }),
};

const packageVersionAns: CommandSpec<Up<'PackageVersionAns'>> = {
  cid: 0x00,
  type: 'PackageVersionAns',
  encode: (c, w) =>
    w
      .u8(field(c.type, 'packageIdentifier', c.packageIdentifier, 0, 255))
      .u8(field(c.type, 'packageVersion', c.packageVersion, 0, 255)),
  decode: (r) => ({ type: 'PackageVersionAns', packageIdentifier: r.u8(), packageVersion: r.u8() }),
};

const appTimeReq: CommandSpec<Up<'AppTimeReq'>> = {
  cid: 0x01,
  type: 'AppTimeReq',
  encode: (c, w) =>
    w
      .u32(field(c.type, 'deviceTime', c.deviceTime, 0, 0xffffffff))
      .u8(field(c.type, 'tokenReq', c.tokenReq, 0, 15) | (c.ansRequired ? 0x10 : 0)),
  decode: (r) => {
    const deviceTime = r.u32();
    const param = r.u8();
    return { type: 'AppTimeReq', deviceTime, tokenReq: param & 0x0f, ansRequired: (param & 0x10) !== 0 };
  },
};

const periodicityAns: CommandSpec<Up<'DeviceAppTimePeriodicityAns'>> = {
  cid: 0x02,
  type: 'DeviceAppTimePeriodicityAns',
  encode: (c, w) =>
    w.u8(c.notSupported ? 1 : 0).u32(field(c.type, 'deviceTime', c.deviceTime, 0, 0xffffffff)),
  decode: (r) => ({
    type: 'DeviceAppTimePeriodicityAns',
    notSupported: (r.u8() & 1) === 1,
    deviceTime: r.u32(),
  }),
};

export const clockSync = packageCodec<ClockSyncDownlink, ClockSyncUplink>(
  'TS003',
  CLOCK_SYNC_PORT,
  [packageVersionReq, appTimeAns, periodicityReq, forceResyncReq],
  [packageVersionAns, appTimeReq, periodicityAns],
);

/** GPS seconds (modulo 2^32, as the packages carry them) of a Unix time in milliseconds. */
export function gpsSecondsOf(unixMs: number, leapSeconds = GPS_UTC_LEAP_SECONDS): number {
  return (Math.floor(unixMs / 1000) - GPS_EPOCH_UNIX_SECONDS + leapSeconds) >>> 0;
}

/** The AppTimeAns correction for a device clock read at `deviceTime` when the server's is `unixMs`. */
export function timeCorrectionFor(
  deviceTime: number,
  unixMs: number,
  leapSeconds = GPS_UTC_LEAP_SECONDS,
): number {
  return (gpsSecondsOf(unixMs, leapSeconds) - deviceTime) | 0;
}
