import { MAX_FRAGMENTS_PER_SESSION } from '@fleet/lorawan-fuota';
import type { SessionPolicy } from './multicast-session-events';

/** A device without the block after a multicast round, with what its last status answer said. */
export interface RepairCandidate {
  readonly deviceId: string;
  /** Null when it did not answer the status request of this round. */
  readonly missing: number | null;
  /** Distinct fragments it holds (FragSessionStatusAns NbFragReceived). */
  readonly received: number | null;
}

export interface RepairContext {
  readonly uncodedFragments: number;
  /** Fragments multicast so far, every round together. */
  readonly multicastFragments: number;
  readonly round: number;
  readonly policy: SessionPolicy;
  readonly nextN: number;
  readonly nowMs: number;
  /** When the devices leave class C: a multicast round must end before. */
  readonly classCEndsAtMs: number;
}

export type RepairDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'multicast'; readonly fragments: number }
  | {
      readonly kind: 'unicast';
      /** Coded fragments per device (0: only ask for its status again). */
      readonly repairs: readonly { readonly deviceId: string; readonly fragments: number }[];
      readonly failures: readonly { readonly deviceId: string; readonly reason: string }[];
    };

/** Extra fragments beyond the reported need: a coded row may depend on the others. */
export const UNICAST_MARGIN = 2;

/**
 * Multicast costs the same air time whoever listens, unicast costs per device (and a class A
 * device takes one downlink per uplink): so while many fragments are missing, another multicast
 * round of coded fragments, sized for the neediest device at its own loss rate; once few remain
 * (or no round is left), unicast coded fragments to each device that still needs some.
 */
export function chooseRepair(candidates: readonly RepairCandidate[], context: RepairContext): RepairDecision {
  if (candidates.length === 0) return { kind: 'none' };
  const { policy } = context;
  const unicast = candidates.map((c) => ({ deviceId: c.deviceId, fragments: unicastFragments(c, context) }));
  const total = unicast.reduce((sum, r) => sum + r.fragments, 0);
  if (total <= policy.unicastRepairMaxFragments) return { kind: 'unicast', repairs: unicast, failures: [] };

  const multicast = multicastFragments(candidates, context);
  const fitsNumbers = context.nextN + multicast - 1 <= MAX_FRAGMENTS_PER_SESSION;
  const fitsClassC = context.nowMs + multicast * policy.fragmentIntervalMs <= context.classCEndsAtMs;
  if (context.round < policy.maxMulticastRounds && multicast > 0 && fitsNumbers && fitsClassC)
    return { kind: 'multicast', fragments: multicast };

  const why =
    context.round >= policy.maxMulticastRounds
      ? `after ${context.round} multicast rounds`
      : 'and another multicast round would not fit the class C session';
  return {
    kind: 'unicast',
    repairs: unicast.filter((r) => r.fragments <= policy.unicastRepairMaxPerDevice),
    failures: unicast
      .filter((r) => r.fragments > policy.unicastRepairMaxPerDevice)
      .map((r) => ({
        deviceId: r.deviceId,
        reason:
          `still needs ${r.fragments - UNICAST_MARGIN} fragments ${why}, over the unicast repair limit of ` +
          `${policy.unicastRepairMaxPerDevice} per device`,
      })),
  };
}

/** What a device still needs: MissingFrag, or at least M − received when it says 255 ("255 or more"). */
export function neededFragments(candidate: RepairCandidate, uncodedFragments: number): number | null {
  if (candidate.missing === null) return null;
  if (candidate.missing < 255 || candidate.received === null) return candidate.missing;
  return Math.max(255, uncodedFragments - candidate.received);
}

/** Unicast: what it needs plus a margin; a device that kept silent is only asked again. */
export function unicastFragments(
  candidate: RepairCandidate,
  context: Pick<RepairContext, 'uncodedFragments'>,
): number {
  const needed = neededFragments(candidate, context.uncodedFragments);
  return needed === null || needed === 0 ? 0 : needed + UNICAST_MARGIN;
}

/** Multicast: enough for the neediest device to get what it needs at the loss it showed so far. */
function multicastFragments(candidates: readonly RepairCandidate[], context: RepairContext): number {
  let most = 0;
  for (const c of candidates) {
    const needed = neededFragments(c, context.uncodedFragments);
    if (needed === null || needed === 0) continue;
    const loss =
      c.received === null || context.multicastFragments === 0
        ? 0.5
        : Math.min(0.9, Math.max(0, 1 - c.received / context.multicastFragments));
    const margin = Math.max(UNICAST_MARGIN, Math.ceil(needed * 0.1));
    most = Math.max(most, Math.ceil((needed + margin) / (1 - loss)));
  }
  return most;
}
