import type { SessionPlan } from './multicast-plan';

/**
 * Facts about a LoRaWAN multicast firmware session (stream `multicast-<sessionId>` by default, or
 * whatever stream a campaign appends them to). Per-device facts carry the device id; times the
 * state needs (deadlines) travel in the data, who and why in the metadata. Type strings never change.
 */

/** The multicast group and the TS004/TS005 sessions every device of the session is set up with. */
export interface MulticastGroupSettings {
  /** TS005 McGroupID (0-3) and TS004 FragIndex (0-3) on the devices. */
  readonly mcGroupId: number;
  readonly fragIndex: number;
  /** The group's DevAddr, 8 hex digits. */
  readonly mcAddr: string;
  /** TS005 SessionTime: when devices open their class C session, in GPS seconds (mod 2^32)... */
  readonly sessionTime: number;
  /** ...and the same instant as UTC (ISO-8601). */
  readonly sessionStartsAt: string;
  /** Devices stay in class C for 2^sessionTimeOut seconds from SessionTime. */
  readonly sessionTimeOut: number;
  /** TS004 BlockAckDelay: devices answer FragSessionStatusReq within 2^(code+4) s. */
  readonly blockAckDelay: number;
  /** TS004 Descriptor: the first 4 bytes of the package's SHA-256, little-endian, for the device to check. */
  readonly descriptor: number;
}

export interface SessionArtifact {
  /** The artifact catalogue's id, or null when the package came with the request. */
  readonly artifactId: string | null;
  /** The version the package's signed header claims: what verified devices report. */
  readonly version: string;
  /** SHA-256 of the whole package (the data block), lowercase hex. */
  readonly sha256: string;
  readonly bytes: number;
}

export interface SessionDevice {
  readonly deviceId: string;
  /** Lower-case, 16 hex digits. */
  readonly devEui: string;
  /** Picks the payload codec of the device's firmware-version report. */
  readonly model: string;
}

/** Timing and repair rules, fixed when the session is planned so that replaying its events decides alike. */
export interface SessionPolicy {
  /** Pause between two multicast fragments: the plan's duty-cycle slot, or a configured override. */
  readonly fragmentIntervalMs: number;
  /** Fragments start this long after SessionTime: devices' clocks agree to about a second. */
  readonly startGuardMs: number;
  /** How long status answers are collected after a FragSessionStatusReq. */
  readonly statusWindowMs: number;
  /** How long a device that has the block may take to verify, apply and report its new version. */
  readonly verifyTimeoutMs: number;
  /** Multicast passes at most, the first one included. */
  readonly maxMulticastRounds: number;
  /** Unicast repair is chosen when all devices together need at most this many fragments. */
  readonly unicastRepairMaxFragments: number;
  /** A device needing more than this after the last multicast round fails. */
  readonly unicastRepairMaxPerDevice: number;
  /** Unicast repairs (fragments and a status request) tried per device. */
  readonly unicastRepairAttempts: number;
  /** How long a device has to answer the status request of a unicast repair. */
  readonly unicastAnswerWindowMs: number;
}

export interface MulticastSessionPlannedData {
  readonly sessionId: string;
  readonly artifact: SessionArtifact;
  readonly plan: SessionPlan;
  readonly group: MulticastGroupSettings;
  readonly devices: readonly SessionDevice[];
  readonly policy: SessionPolicy;
  /** Epoch ms at which the first fragment is due (SessionTime + startGuardMs). */
  readonly multicastStartsAtMs: number;
}

/** The unicast answers of the setup, all three needed before the session starts. */
export type SetupAnswer = 'McGroupSetupAns' | 'FragSessionSetupAns' | 'McClassCSessionAns';
export const SETUP_ANSWERS: readonly SetupAnswer[] = [
  'McGroupSetupAns',
  'FragSessionSetupAns',
  'McClassCSessionAns',
];

type Of<T> = { readonly sessionId: string } & T;
type Event<TType extends string, TData> = { readonly type: TType; readonly data: TData };

export type MulticastSessionEvent =
  | Event<'MulticastSessionPlanned', MulticastSessionPlannedData>
  /** The device asked for the time (TS003 AppTimeReq); the answer carries this correction. */
  | Event<
      'MulticastDeviceClockSynced',
      Of<{ deviceId: string; deviceTime: number; timeCorrection: number; token: number }>
    >
  /** The device accepted one of the setup commands (McClassCSessionAns tells when it starts). */
  | Event<
      'MulticastDeviceSetupAnswered',
      Of<{ deviceId: string; answer: SetupAnswer; timeToStart: number | null }>
    >
  /** Fragments firstN..lastN go out in multicast, one every `fragmentIntervalMs`. */
  | Event<
      'MulticastRoundScheduled',
      Of<{ round: number; firstN: number; lastN: number; kind: 'initial' | 'extra-redundancy' }>
    >
  /** The round's last fragment went out; a FragSessionStatusReq follows, answers are due by `statusDueAtMs`. */
  | Event<'MulticastRoundSent', Of<{ round: number; fragments: number; statusDueAtMs: number }>>
  /** A FragSessionStatusAns: fragments received and still missing (0: the device has the block). */
  | Event<
      'MulticastDeviceStatusReported',
      Of<{ deviceId: string; round: number; received: number; missing: number; atMs: number }>
    >
  /** The status window of a round closed: how many devices have the block, miss fragments or kept silent. */
  | Event<
      'MulticastStatusCollected',
      Of<{ round: number; decoded: number; missingFragments: number; unanswered: number }>
    >
  /** Coded fragments firstN..lastN (none: only a status request) go to one device in unicast. */
  | Event<
      'MulticastUnicastRepairScheduled',
      Of<{ deviceId: string; firstN: number; lastN: number; attempt: number; answerDueAtMs: number }>
    >
  | Event<'MulticastDeviceVerified', Of<{ deviceId: string; firmwareVersion: string }>>
  | Event<'MulticastDeviceFailed', Of<{ deviceId: string; reason: string }>>
  | Event<'MulticastSessionFinished', Of<{ verified: number; failed: number }>>;

export type MulticastSessionEventType = MulticastSessionEvent['type'];
