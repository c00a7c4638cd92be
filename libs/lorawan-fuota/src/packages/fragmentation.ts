import { ValidationError } from '@fleet/core';
import type { EncodedBlock } from '../fec/encoder';
import { field, fixedBytes, packageCodec, type CommandSpec } from './package-codec';

/**
 * TS004 Fragmented Data Block Transport on FPort 201: v1.0.0 (package 3, version 1) and the
 * v2.0.0 layout (version 2), which adds the data-block integrity check (SessionCnt and MIC in the
 * setup, MICError in the status, FragDataBlockReceived) and moves the status byte first.
 */
export const FRAGMENTATION_PORT = 201;
export const FRAGMENTATION_PACKAGE_ID = 3;
/** CID (1) + IndexAndN (2) in front of every fragment. */
export const DATA_FRAGMENT_HEADER_BYTES = 3;

export type FragmentationDownlink =
  | { readonly type: 'PackageVersionReq' }
  | { readonly type: 'FragSessionStatusReq'; readonly fragIndex: number; readonly participants: boolean }
  | FragSessionSetupReq
  | { readonly type: 'FragSessionDeleteReq'; readonly fragIndex: number }
  | {
      readonly type: 'DataFragment';
      readonly fragIndex: number;
      readonly n: number;
      readonly payload: Uint8Array;
    }
  /** v2 only: the server acknowledges FragDataBlockReceivedReq. */
  | { readonly type: 'FragDataBlockReceivedAns'; readonly fragIndex: number };

export interface FragSessionSetupReq {
  readonly type: 'FragSessionSetupReq';
  readonly fragIndex: number;
  /** Bit i: multicast group i carries the session's fragments (McGroupBitMask). */
  readonly mcGroupMask: number;
  /** NbFrag: uncoded fragments. */
  readonly nbFrag: number;
  readonly fragSize: number;
  /** 0: the annex's PRBS23 parity matrix (v2 calls the field FragAlgo). */
  readonly fragmentationMatrix: number;
  /** The device answers FragSessionStatusReq after a random delay of up to 2^(BlockAckDelay+4) s. */
  readonly blockAckDelay: number;
  readonly padding: number;
  /** Four bytes the application defines (e.g. a firmware descriptor), as a little-endian uint32. */
  readonly descriptor: number;
  /** v2: the device sends FragDataBlockReceivedReq once the block is complete. */
  readonly ackReception?: boolean;
  /** v2: replay protection, strictly increasing per FragIndex. */
  readonly sessionCnt?: number;
  /** v2: the data block's MIC (AES-CMAC with DataBlockIntKey), 4 bytes as sent. */
  readonly mic?: Uint8Array;
}

export type FragmentationUplink =
  | {
      readonly type: 'PackageVersionAns';
      readonly packageIdentifier: number;
      readonly packageVersion: number;
    }
  | FragSessionStatusAns
  | FragSessionSetupAns
  | {
      readonly type: 'FragSessionDeleteAns';
      readonly fragIndex: number;
      readonly sessionDoesNotExist: boolean;
    }
  /** v2 only: the device has the whole block (micError: its integrity check failed). */
  | { readonly type: 'FragDataBlockReceivedReq'; readonly fragIndex: number; readonly micError: boolean };

export interface FragSessionStatusAns {
  readonly type: 'FragSessionStatusAns';
  readonly fragIndex: number;
  /** 14 bits. */
  readonly nbFragReceived: number;
  /** Fragments still needed; 255 means 255 or more. */
  readonly missingFrag: number;
  /** The device ran out of decoding matrix memory (v2: MemoryError). */
  readonly notEnoughMatrixMemory: boolean;
  readonly micError?: boolean;
  readonly sessionDoesNotExist?: boolean;
}

export interface FragSessionSetupAns {
  readonly type: 'FragSessionSetupAns';
  readonly fragIndex: number;
  readonly encodingUnsupported: boolean;
  readonly notEnoughMemory: boolean;
  readonly fragSessionIndexNotSupported: boolean;
  readonly wrongDescriptor: boolean;
  /** v2: SessionCnt was not above the last one. */
  readonly sessionCntReplay?: boolean;
}

type Down<T extends FragmentationDownlink['type']> = Extract<FragmentationDownlink, { type: T }>;
type Up<T extends FragmentationUplink['type']> = Extract<FragmentationUplink, { type: T }>;

const bit = (value: number, position: number) => ((value >>> position) & 1) === 1;
const flag = (value: boolean | undefined, position: number) => (value ? 1 << position : 0);
const fragIndex = (command: string, value: number) => field(command, 'fragIndex', value, 0, 3);

const packageVersionReq: CommandSpec<Down<'PackageVersionReq'>> = {
  cid: 0x00,
  type: 'PackageVersionReq',
  encode: () => undefined,
  decode: () => ({ type: 'PackageVersionReq' }),
};

const statusReq: CommandSpec<Down<'FragSessionStatusReq'>> = {
  cid: 0x01,
  type: 'FragSessionStatusReq',
  encode: (c, w) => w.u8((fragIndex(c.type, c.fragIndex) << 1) | flag(c.participants, 0)),
  decode: (r) => {
    const param = r.u8();
    return { type: 'FragSessionStatusReq', fragIndex: (param >>> 1) & 3, participants: bit(param, 0) };
  },
};

function setupReq(version: 1 | 2): CommandSpec<FragSessionSetupReq> {
  return {
    cid: 0x02,
    type: 'FragSessionSetupReq',
    encode: (c, w) => {
      const name = c.type;
      w.u8((fragIndex(name, c.fragIndex) << 4) | field(name, 'mcGroupMask', c.mcGroupMask, 0, 15))
        .u16(field(name, 'nbFrag', c.nbFrag, 1, 0x3fff))
        .u8(field(name, 'fragSize', c.fragSize, 1, 255))
        .u8(
          flag(version === 2 && c.ackReception, 6) |
            (field(name, 'fragmentationMatrix', c.fragmentationMatrix, 0, 7) << 3) |
            field(name, 'blockAckDelay', c.blockAckDelay, 0, 7),
        )
        .u8(field(name, 'padding', c.padding, 0, 255))
        .u32(field(name, 'descriptor', c.descriptor, 0, 0xffffffff));
      if (version === 2) {
        if (c.sessionCnt === undefined || c.mic === undefined)
          throw new ValidationError(`${name} v2 needs sessionCnt and mic`);
        w.u16(field(name, 'sessionCnt', c.sessionCnt, 0, 0xffff)).bytes(fixedBytes(name, 'mic', c.mic, 4));
      }
    },
    decode: (r) => {
      const session = r.u8();
      const nbFrag = r.u16();
      const fragSize = r.u8();
      const control = r.u8();
      const padding = r.u8();
      const descriptor = r.u32();
      const common = {
        type: 'FragSessionSetupReq' as const,
        fragIndex: (session >>> 4) & 3,
        mcGroupMask: session & 0x0f,
        nbFrag,
        fragSize,
        fragmentationMatrix: (control >>> 3) & 7,
        blockAckDelay: control & 7,
        padding,
        descriptor,
      };
      return version === 1
        ? common
        : { ...common, ackReception: bit(control, 6), sessionCnt: r.u16(), mic: r.bytesOf(4) };
    },
  };
}

const deleteReq: CommandSpec<Down<'FragSessionDeleteReq'>> = {
  cid: 0x03,
  type: 'FragSessionDeleteReq',
  encode: (c, w) => w.u8(fragIndex(c.type, c.fragIndex)),
  decode: (r) => ({ type: 'FragSessionDeleteReq', fragIndex: r.u8() & 3 }),
};

const dataFragment: CommandSpec<Down<'DataFragment'>> = {
  cid: 0x08,
  type: 'DataFragment',
  encode: (c, w) =>
    w.u16((fragIndex(c.type, c.fragIndex) << 14) | field(c.type, 'n', c.n, 1, 0x3fff)).bytes(c.payload),
  // The fragment runs to the end of the frame: DataFragment is always alone or last.
  decode: (r) => {
    const indexAndN = r.u16();
    return { type: 'DataFragment', fragIndex: indexAndN >>> 14, n: indexAndN & 0x3fff, payload: r.rest() };
  },
};

const blockReceivedAns: CommandSpec<Down<'FragDataBlockReceivedAns'>> = {
  cid: 0x04,
  type: 'FragDataBlockReceivedAns',
  encode: (c, w) => w.u8(fragIndex(c.type, c.fragIndex)),
  decode: (r) => ({ type: 'FragDataBlockReceivedAns', fragIndex: r.u8() & 3 }),
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

function statusAns(version: 1 | 2): CommandSpec<FragSessionStatusAns> {
  const statusByte = (c: FragSessionStatusAns) =>
    flag(c.notEnoughMatrixMemory, 0) |
    (version === 2 ? flag(c.micError, 1) | flag(c.sessionDoesNotExist, 2) : 0);
  return {
    cid: 0x01,
    type: 'FragSessionStatusAns',
    encode: (c, w) => {
      if (version === 2) w.u8(statusByte(c));
      w.u16(
        (fragIndex(c.type, c.fragIndex) << 14) | field(c.type, 'nbFragReceived', c.nbFragReceived, 0, 0x3fff),
      );
      w.u8(field(c.type, 'missingFrag', c.missingFrag, 0, 255));
      if (version === 1) w.u8(statusByte(c));
    },
    decode: (r) => {
      const leadingStatus = version === 2 ? r.u8() : 0;
      const receivedAndIndex = r.u16();
      const missingFrag = r.u8();
      const status = version === 1 ? r.u8() : leadingStatus;
      const common = {
        type: 'FragSessionStatusAns' as const,
        fragIndex: receivedAndIndex >>> 14,
        nbFragReceived: receivedAndIndex & 0x3fff,
        missingFrag,
        notEnoughMatrixMemory: bit(status, 0),
      };
      return version === 1
        ? common
        : { ...common, micError: bit(status, 1), sessionDoesNotExist: bit(status, 2) };
    },
  };
}

function setupAns(version: 1 | 2): CommandSpec<FragSessionSetupAns> {
  return {
    cid: 0x02,
    type: 'FragSessionSetupAns',
    encode: (c, w) =>
      w.u8(
        (fragIndex(c.type, c.fragIndex) << 6) |
          flag(version === 2 && c.sessionCntReplay, 4) |
          flag(c.wrongDescriptor, 3) |
          flag(c.fragSessionIndexNotSupported, 2) |
          flag(c.notEnoughMemory, 1) |
          flag(c.encodingUnsupported, 0),
      ),
    decode: (r) => {
      const status = r.u8();
      const common = {
        type: 'FragSessionSetupAns' as const,
        fragIndex: status >>> 6,
        encodingUnsupported: bit(status, 0),
        notEnoughMemory: bit(status, 1),
        fragSessionIndexNotSupported: bit(status, 2),
        wrongDescriptor: bit(status, 3),
      };
      return version === 1 ? common : { ...common, sessionCntReplay: bit(status, 4) };
    },
  };
}

const deleteAns: CommandSpec<Up<'FragSessionDeleteAns'>> = {
  cid: 0x03,
  type: 'FragSessionDeleteAns',
  encode: (c, w) => w.u8(fragIndex(c.type, c.fragIndex) | flag(c.sessionDoesNotExist, 2)),
  decode: (r) => {
    const status = r.u8();
    return { type: 'FragSessionDeleteAns', fragIndex: status & 3, sessionDoesNotExist: bit(status, 2) };
  },
};

const blockReceivedReq: CommandSpec<Up<'FragDataBlockReceivedReq'>> = {
  cid: 0x04,
  type: 'FragDataBlockReceivedReq',
  encode: (c, w) => w.u8(fragIndex(c.type, c.fragIndex) | flag(c.micError, 2)),
  decode: (r) => {
    const status = r.u8();
    return { type: 'FragDataBlockReceivedReq', fragIndex: status & 3, micError: bit(status, 2) };
  },
};

/** TS004 v1.0.0 (the version LoRaMac-node and most devices in the field speak). */
export const fragmentationV1 = packageCodec<FragmentationDownlink, FragmentationUplink>(
  'TS004 v1',
  FRAGMENTATION_PORT,
  [packageVersionReq, statusReq, setupReq(1), deleteReq, dataFragment],
  [packageVersionAns, statusAns(1), setupAns(1), deleteAns],
);

/** TS004 v2.0.0. */
export const fragmentationV2 = packageCodec<FragmentationDownlink, FragmentationUplink>(
  'TS004 v2',
  FRAGMENTATION_PORT,
  [packageVersionReq, statusReq, setupReq(2), deleteReq, blockReceivedAns, dataFragment],
  [packageVersionAns, statusAns(2), setupAns(2), deleteAns, blockReceivedReq],
);

/** Longest delay, in seconds, before a device answers FragSessionStatusReq (BlockAckDelay 0-7). */
export function blockAckDelaySeconds(blockAckDelay: number): number {
  return 2 ** (field('FragSessionSetupReq', 'blockAckDelay', blockAckDelay, 0, 7) + 4);
}

/** The FragSessionSetupReq announcing an encoded block. */
export function fragSessionSetupFor(
  encoded: EncodedBlock,
  session: Pick<FragSessionSetupReq, 'fragIndex' | 'mcGroupMask' | 'blockAckDelay' | 'descriptor'>,
): FragSessionSetupReq {
  return {
    type: 'FragSessionSetupReq',
    ...session,
    nbFrag: encoded.uncodedFragments,
    fragSize: encoded.fragmentBytes,
    fragmentationMatrix: 0,
    padding: field('FragSessionSetupReq', 'padding', encoded.padding, 0, 255),
  };
}

/** FPort 201 payloads, one DataFragment per fragment, N from 1: what the multicast session sends. */
export function dataFragmentPayloads(encoded: EncodedBlock, fragIndex = 0): Uint8Array[] {
  return encoded.fragments.map((payload, i) =>
    fragmentationV1.encodeDownlink([{ type: 'DataFragment', fragIndex, n: i + 1, payload }]),
  );
}
