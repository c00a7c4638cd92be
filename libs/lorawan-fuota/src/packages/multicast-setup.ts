import { ValidationError } from '@fleet/core';
import {
  field,
  fixedBytes,
  packageCodec,
  type ByteReader,
  type ByteWriter,
  type CommandSpec,
} from './package-codec';

/** TS005 Remote Multicast Setup v1.0.0 on FPort 200 (package 2, version 1). */
export const MULTICAST_SETUP_PORT = 200;
export const MULTICAST_SETUP_PACKAGE_ID = 2;

export type MulticastSetupDownlink =
  | { readonly type: 'PackageVersionReq' }
  | { readonly type: 'McGroupStatusReq'; readonly reqGroupMask: number }
  | McGroupSetupReq
  | { readonly type: 'McGroupDeleteReq'; readonly mcGroupId: number }
  | McClassCSessionReq
  | McClassBSessionReq;

export interface McGroupSetupReq {
  readonly type: 'McGroupSetupReq';
  readonly mcGroupId: number;
  /** The group's DevAddr as usually written (8 hex digits, most significant first); little-endian on air. */
  readonly mcAddr: string;
  /** McKey encrypted with McKEKey (16 bytes): the server never sends the key in clear. */
  readonly mcKeyEncrypted: Uint8Array;
  /** Frame counters the device accepts for this group; the session ends at maxMcFCount. */
  readonly minMcFCount: number;
  readonly maxMcFCount: number;
}

interface SessionTiming {
  readonly mcGroupId: number;
  /** Start, in seconds since the GPS epoch, modulo 2^32. */
  readonly sessionTime: number;
  /** The session lasts at most 2^sessionTimeOut seconds (0-15). */
  readonly sessionTimeOut: number;
  /** Downlink frequency in Hz, a multiple of 100. */
  readonly dlFrequencyHz: number;
  readonly dataRate: number;
}

export interface McClassCSessionReq extends SessionTiming {
  readonly type: 'McClassCSessionReq';
}

export interface McClassBSessionReq extends SessionTiming {
  readonly type: 'McClassBSessionReq';
  /** Ping slot period 2^periodicity seconds (0-7). */
  readonly periodicity: number;
}

export type MulticastSetupUplink =
  | {
      readonly type: 'PackageVersionAns';
      readonly packageIdentifier: number;
      readonly packageVersion: number;
    }
  | McGroupStatusAns
  | { readonly type: 'McGroupSetupAns'; readonly mcGroupId: number; readonly idError: boolean }
  | { readonly type: 'McGroupDeleteAns'; readonly mcGroupId: number; readonly mcGroupUndefined: boolean }
  | McSessionAns<'McClassCSessionAns'>
  | McSessionAns<'McClassBSessionAns'>;

export interface McGroupStatusAns {
  readonly type: 'McGroupStatusAns';
  readonly nbTotalGroups: number;
  /** One entry per group the answer reports, in group order. */
  readonly groups: readonly { readonly mcGroupId: number; readonly mcAddr: string }[];
}

export interface McSessionAns<T extends 'McClassCSessionAns' | 'McClassBSessionAns'> {
  readonly type: T;
  readonly mcGroupId: number;
  readonly dataRateError: boolean;
  readonly frequencyError: boolean;
  readonly mcGroupUndefined: boolean;
  /** Seconds until the session starts; present only when no error bit is set. */
  readonly timeToStart?: number;
}

type Down<T extends MulticastSetupDownlink['type']> = Extract<MulticastSetupDownlink, { type: T }>;
type Up<T extends MulticastSetupUplink['type']> = Extract<MulticastSetupUplink, { type: T }>;

const bit = (value: number, position: number) => ((value >>> position) & 1) === 1;
const flag = (value: boolean, position: number) => (value ? 1 << position : 0);
const groupId = (command: string, value: number) => field(command, 'mcGroupId', value, 0, 3);

function writeAddr(command: string, mcAddr: string, w: ByteWriter): void {
  if (!/^[0-9a-fA-F]{8}$/.test(mcAddr))
    throw new ValidationError(`${command}.mcAddr "${mcAddr}" is not 8 hex digits`);
  w.u32(Number.parseInt(mcAddr, 16));
}

const readAddr = (r: ByteReader) => r.u32().toString(16).padStart(8, '0');

function sessionReq<T extends McClassCSessionReq | McClassBSessionReq>(
  cid: number,
  type: T['type'],
  timing: { encode(c: T): number; decode(byte: number): Omit<T, keyof SessionTiming | 'type'> },
): CommandSpec<T> {
  return {
    cid,
    type,
    encode: (c, w) => {
      if (!Number.isInteger(c.dlFrequencyHz / 100))
        throw new ValidationError(`${type}.dlFrequencyHz ${c.dlFrequencyHz} is not a multiple of 100 Hz`);
      w.u8(groupId(type, c.mcGroupId))
        .u32(field(type, 'sessionTime', c.sessionTime, 0, 0xffffffff))
        .u8(timing.encode(c))
        .u24(field(type, 'dlFrequencyHz', c.dlFrequencyHz / 100, 0, 0xffffff))
        .u8(field(type, 'dataRate', c.dataRate, 0, 15));
    },
    decode: (r) => {
      const mcGroupId = r.u8() & 3;
      const sessionTime = r.u32();
      const timingByte = r.u8();
      const common = {
        mcGroupId,
        sessionTime,
        sessionTimeOut: timingByte & 0x0f,
        dlFrequencyHz: r.u24() * 100,
        dataRate: r.u8(),
      };
      return { type, ...common, ...timing.decode(timingByte) } as T;
    },
  };
}

function sessionAns<T extends 'McClassCSessionAns' | 'McClassBSessionAns'>(
  cid: number,
  type: T,
): CommandSpec<McSessionAns<T>> {
  return {
    cid,
    type,
    encode: (c, w) => {
      const errors = flag(c.dataRateError, 2) | flag(c.frequencyError, 3) | flag(c.mcGroupUndefined, 4);
      w.u8(groupId(type, c.mcGroupId) | errors);
      if (errors === 0) {
        if (c.timeToStart === undefined)
          throw new ValidationError(`${type} without an error needs timeToStart`);
        w.u24(field(type, 'timeToStart', c.timeToStart, 0, 0xffffff));
      }
    },
    decode: (r) => {
      const status = r.u8();
      const answer = {
        type,
        mcGroupId: status & 3,
        dataRateError: bit(status, 2),
        frequencyError: bit(status, 3),
        mcGroupUndefined: bit(status, 4),
      };
      return (status & 0x1c) === 0 ? { ...answer, timeToStart: r.u24() } : answer;
    },
  };
}

const packageVersionReq: CommandSpec<Down<'PackageVersionReq'>> = {
  cid: 0x00,
  type: 'PackageVersionReq',
  encode: () => undefined,
  decode: () => ({ type: 'PackageVersionReq' }),
};

const groupStatusReq: CommandSpec<Down<'McGroupStatusReq'>> = {
  cid: 0x01,
  type: 'McGroupStatusReq',
  encode: (c, w) => w.u8(field(c.type, 'reqGroupMask', c.reqGroupMask, 0, 15)),
  decode: (r) => ({ type: 'McGroupStatusReq', reqGroupMask: r.u8() & 0x0f }),
};

const groupSetupReq: CommandSpec<McGroupSetupReq> = {
  cid: 0x02,
  type: 'McGroupSetupReq',
  encode: (c, w) => {
    w.u8(groupId(c.type, c.mcGroupId));
    writeAddr(c.type, c.mcAddr, w);
    w.bytes(fixedBytes(c.type, 'mcKeyEncrypted', c.mcKeyEncrypted, 16))
      .u32(field(c.type, 'minMcFCount', c.minMcFCount, 0, 0xffffffff))
      .u32(field(c.type, 'maxMcFCount', c.maxMcFCount, 0, 0xffffffff));
  },
  decode: (r) => ({
    type: 'McGroupSetupReq',
    mcGroupId: r.u8() & 3,
    mcAddr: readAddr(r),
    mcKeyEncrypted: r.bytesOf(16),
    minMcFCount: r.u32(),
    maxMcFCount: r.u32(),
  }),
};

const groupDeleteReq: CommandSpec<Down<'McGroupDeleteReq'>> = {
  cid: 0x03,
  type: 'McGroupDeleteReq',
  encode: (c, w) => w.u8(groupId(c.type, c.mcGroupId)),
  decode: (r) => ({ type: 'McGroupDeleteReq', mcGroupId: r.u8() & 3 }),
};

const classCSessionReq = sessionReq<McClassCSessionReq>(0x04, 'McClassCSessionReq', {
  encode: (c) => field(c.type, 'sessionTimeOut', c.sessionTimeOut, 0, 15),
  decode: () => ({}),
});

const classBSessionReq = sessionReq<McClassBSessionReq>(0x05, 'McClassBSessionReq', {
  encode: (c) =>
    (field(c.type, 'periodicity', c.periodicity, 0, 7) << 4) |
    field(c.type, 'sessionTimeOut', c.sessionTimeOut, 0, 15),
  decode: (byte) => ({ periodicity: (byte >>> 4) & 7 }),
});

const packageVersionAns: CommandSpec<Up<'PackageVersionAns'>> = {
  cid: 0x00,
  type: 'PackageVersionAns',
  encode: (c, w) =>
    w
      .u8(field(c.type, 'packageIdentifier', c.packageIdentifier, 0, 255))
      .u8(field(c.type, 'packageVersion', c.packageVersion, 0, 255)),
  decode: (r) => ({ type: 'PackageVersionAns', packageIdentifier: r.u8(), packageVersion: r.u8() }),
};

const groupStatusAns: CommandSpec<McGroupStatusAns> = {
  cid: 0x01,
  type: 'McGroupStatusAns',
  encode: (c, w) => {
    const ids = c.groups.map((g) => groupId(c.type, g.mcGroupId));
    if (new Set(ids).size !== ids.length) throw new ValidationError(`${c.type} reports a group twice`);
    w.u8(
      (field(c.type, 'nbTotalGroups', c.nbTotalGroups, 0, 4) << 4) |
        ids.reduce((mask, id) => mask | (1 << id), 0),
    );
    for (const group of c.groups) {
      w.u8(group.mcGroupId);
      writeAddr(c.type, group.mcAddr, w);
    }
  },
  decode: (r) => {
    const status = r.u8();
    const count = [0, 1, 2, 3].filter((i) => bit(status, i)).length;
    const groups = Array.from({ length: count }, () => ({ mcGroupId: r.u8() & 3, mcAddr: readAddr(r) }));
    return { type: 'McGroupStatusAns', nbTotalGroups: (status >>> 4) & 7, groups };
  },
};

const groupSetupAns: CommandSpec<Up<'McGroupSetupAns'>> = {
  cid: 0x02,
  type: 'McGroupSetupAns',
  encode: (c, w) => w.u8(groupId(c.type, c.mcGroupId) | flag(c.idError, 2)),
  decode: (r) => {
    const status = r.u8();
    return { type: 'McGroupSetupAns', mcGroupId: status & 3, idError: bit(status, 2) };
  },
};

const groupDeleteAns: CommandSpec<Up<'McGroupDeleteAns'>> = {
  cid: 0x03,
  type: 'McGroupDeleteAns',
  encode: (c, w) => w.u8(groupId(c.type, c.mcGroupId) | flag(c.mcGroupUndefined, 2)),
  decode: (r) => {
    const status = r.u8();
    return { type: 'McGroupDeleteAns', mcGroupId: status & 3, mcGroupUndefined: bit(status, 2) };
  },
};

export const multicastSetup = packageCodec<MulticastSetupDownlink, MulticastSetupUplink>(
  'TS005',
  MULTICAST_SETUP_PORT,
  [packageVersionReq, groupStatusReq, groupSetupReq, groupDeleteReq, classCSessionReq, classBSessionReq],
  [
    packageVersionAns,
    groupStatusAns,
    groupSetupAns,
    groupDeleteAns,
    sessionAns(0x04, 'McClassCSessionAns'),
    sessionAns(0x05, 'McClassBSessionAns'),
  ],
);

/** The smallest SessionTimeOut whose 2^t seconds cover `seconds`, or undefined past 2^15 s (9.1 h). */
export function sessionTimeOutFor(seconds: number): number | undefined {
  for (let t = 0; t <= 15; t += 1) if (2 ** t >= seconds) return t;
  return undefined;
}
