import { ValidationError } from '@fleet/core';
import {
  CLOCK_SYNC_PORT,
  clockSync,
  FRAGMENTATION_PORT,
  fragmentationV1,
  MULTICAST_SETUP_PORT,
  multicastSetup,
  parityRowIndices,
} from '@fleet/lorawan-fuota';
import type { MulticastSessionState } from './multicast-session';

/** One application payload for the network server to send. */
export interface Frame {
  readonly fPort: number;
  readonly bytes: Uint8Array;
}

/**
 * The unicast setup of one device, in the order it must apply them: join the multicast group
 * (TS005), open the fragmentation session on it (TS004 v1), then schedule the class C session.
 * `mcKeyEncrypted` is McKey encrypted with the device's McKEKey: the join server holds the root
 * keys, so whoever calls this gets it from there (random bytes in simulations).
 */
export function setupFrames(state: MulticastSessionState, mcKeyEncrypted: Uint8Array): Frame[] {
  const { group, plan } = state;
  return [
    {
      fPort: MULTICAST_SETUP_PORT,
      bytes: multicastSetup.encodeDownlink([
        {
          type: 'McGroupSetupReq',
          mcGroupId: group.mcGroupId,
          mcAddr: group.mcAddr,
          mcKeyEncrypted,
          minMcFCount: 0,
          maxMcFCount: 0xffff_ffff,
        },
      ]),
    },
    {
      fPort: FRAGMENTATION_PORT,
      bytes: fragmentationV1.encodeDownlink([
        {
          type: 'FragSessionSetupReq',
          fragIndex: group.fragIndex,
          mcGroupMask: 1 << group.mcGroupId,
          nbFrag: plan.uncodedFragments,
          fragSize: plan.fragmentBytes,
          fragmentationMatrix: 0,
          blockAckDelay: group.blockAckDelay,
          padding: plan.padding,
          descriptor: group.descriptor,
        },
      ]),
    },
    {
      fPort: MULTICAST_SETUP_PORT,
      bytes: multicastSetup.encodeDownlink([
        {
          type: 'McClassCSessionReq',
          mcGroupId: group.mcGroupId,
          sessionTime: group.sessionTime,
          sessionTimeOut: group.sessionTimeOut,
          dlFrequencyHz: plan.frequencyHz,
          dataRate: plan.dataRate,
        },
      ]),
    },
  ];
}

export function appTimeAnswer(timeCorrection: number, token: number): Frame {
  return {
    fPort: CLOCK_SYNC_PORT,
    bytes: clockSync.encodeDownlink([{ type: 'AppTimeAns', timeCorrection, tokenAns: token }]),
  };
}

/** Every participant answers (multicast after a round, unicast after a repair). */
export function statusRequest(state: MulticastSessionState): Frame {
  return {
    fPort: FRAGMENTATION_PORT,
    bytes: fragmentationV1.encodeDownlink([
      { type: 'FragSessionStatusReq', fragIndex: state.group.fragIndex, participants: true },
    ]),
  };
}

/** DataFragment N of the session's block: uncoded for N ≤ M, coded beyond. */
export function dataFragment(state: MulticastSessionState, block: Uint8Array, n: number): Frame {
  const payload = fragmentPayload(block, state.plan, n);
  return {
    fPort: FRAGMENTATION_PORT,
    bytes: fragmentationV1.encodeDownlink([
      { type: 'DataFragment', fragIndex: state.group.fragIndex, n, payload },
    ]),
  };
}

/**
 * Fragment N of a block cut in `fragmentBytes` (the last one zero-padded): for N > M, the XOR of
 * the uncoded fragments row N − M of FragmentationMatrix 0 selects. Any N up to 16383 can be
 * computed on demand, which repairs need (the encoder computes a fixed run of them).
 */
export function fragmentPayload(
  block: Uint8Array,
  layout: { readonly fragmentBytes: number; readonly uncodedFragments: number },
  n: number,
): Uint8Array {
  const { fragmentBytes: size, uncodedFragments: m } = layout;
  if (Math.ceil(block.length / size) !== m)
    throw new ValidationError(`a block of ${block.length} bytes is not ${m} fragments of ${size} bytes`);
  if (!Number.isInteger(n) || n < 1 || n > 0x3fff)
    throw new ValidationError(`fragment N ${n} is not 1-16383`);
  const out = new Uint8Array(size);
  const xorIn = (j: number) => {
    const slice = block.subarray(j * size, (j + 1) * size);
    for (let i = 0; i < slice.length; i += 1) out[i]! ^= slice[i]!;
  };
  if (n <= m) xorIn(n - 1);
  else for (const j of parityRowIndices(n - m, m)) xorIn(j);
  return out;
}
