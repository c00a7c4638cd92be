import { ValidationError } from '@fleet/core';
import { gpsSecondsOf, sessionTimeOutFor } from '@fleet/lorawan-fuota';
import type { SessionPlan } from './multicast-plan';
import type {
  MulticastSessionEvent,
  SessionArtifact,
  SessionDevice,
  SessionPolicy,
} from './multicast-session-events';

export interface StartSessionInput {
  readonly sessionId: string;
  readonly nowMs: number;
  readonly devices: readonly SessionDevice[];
  readonly artifact: SessionArtifact;
  readonly plan: SessionPlan;
  /** The group's DevAddr (8 hex digits), chosen at the edge (random per session). */
  readonly mcAddr: string;
  /** Time the unicast setup has before SessionTime: class A devices take it with their uplinks. */
  readonly setupWindowMs: number;
  /** `fragmentIntervalMs` null: the plan's duty-cycle slot (air time ÷ duty cycle). */
  readonly policy: Omit<SessionPolicy, 'fragmentIntervalMs'> & { readonly fragmentIntervalMs: number | null };
  /** TS004 BlockAckDelay code (0-7). */
  readonly blockAckDelay: number;
}

/**
 * The fact that starts a session: the group, SessionTime (whole seconds, after the setup window),
 * the pacing, and a class C window long enough for the first pass and the extra rounds the policy
 * allows (each assumed at most half the first), each with its status window.
 */
export function startSession(input: StartSessionInput): MulticastSessionEvent {
  const { plan, policy, sessionId } = input;
  if (input.devices.length === 0) throw new ValidationError('a multicast session needs at least one device');
  if (!/^[0-9a-f]{8}$/.test(input.mcAddr) || input.mcAddr === '00000000')
    throw new ValidationError(`McAddr ${input.mcAddr} is not 8 lower-case hex digits (not all zero)`);
  if (!/^[0-9a-f]{64}$/.test(input.artifact.sha256))
    throw new ValidationError('artifact sha256 must be 64 lower-case hex digits');
  const sessionStartMs = Math.ceil((input.nowMs + input.setupWindowMs) / 1000) * 1000;
  const fragmentIntervalMs =
    policy.fragmentIntervalMs ?? Math.ceil(plan.airtimePerFragmentMs / plan.dutyCycle);
  const firstPassMs = (plan.uncodedFragments + plan.codedFragments) * fragmentIntervalMs;
  const classCMs =
    policy.startGuardMs +
    firstPassMs * (1 + 0.5 * (policy.maxMulticastRounds - 1)) +
    policy.statusWindowMs * policy.maxMulticastRounds;
  return {
    type: 'MulticastSessionPlanned',
    data: {
      sessionId,
      artifact: input.artifact,
      plan,
      group: {
        mcGroupId: 0,
        fragIndex: 0,
        mcAddr: input.mcAddr,
        sessionTime: gpsSecondsOf(sessionStartMs),
        sessionStartsAt: new Date(sessionStartMs).toISOString(),
        sessionTimeOut: sessionTimeOutFor(classCMs / 1000) ?? 15,
        blockAckDelay: input.blockAckDelay,
        descriptor: descriptorOf(input.artifact.sha256),
      },
      devices: input.devices,
      policy: { ...policy, fragmentIntervalMs },
      multicastStartsAtMs: sessionStartMs + policy.startGuardMs,
    },
  };
}

/** The first 4 bytes of the digest as the little-endian uint32 the Descriptor field carries. */
export function descriptorOf(sha256: string): number {
  const bytes = [0, 2, 4, 6].map((i) => Number.parseInt(sha256.slice(i, i + 2), 16));
  return (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
}
