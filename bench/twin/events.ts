import { createHash, randomUUID } from 'node:crypto';
import type { Actor, EventMetadata } from '@fleet/core';
import type { EventToAppend } from '@fleet/event-store';
import type { ConfigurationChanges, Region } from '../../apps/device-twin/src/devices/configuration';
import type {
  DeviceClassInfo,
  DeviceCredential,
  DeviceEvent,
  DeviceProvisionedData,
  DeviceStatus,
} from '../../apps/device-twin/src/devices/device';

/**
 * Device events shaped like device-twin records them (apps/device-twin/src/devices/device.ts), with
 * a seeded random generator so that the data set is the same on every machine.
 */

const DAY_MS = 86_400_000;

/** mulberry32: small, fast, seedable; good enough to pick realistic values. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Random = () => number;

const pick = <T>(random: Random, values: readonly T[]): T => values[Math.floor(random() * values.length)]!;

function weighted<T extends string>(random: Random, weights: Readonly<Partial<Record<T, number>>>): T {
  const entries = Object.entries(weights) as [T, number][];
  let left = random() * entries.reduce((sum, [, w]) => sum + w, 0);
  for (const [value, weight] of entries) {
    left -= weight;
    if (left < 0) return value;
  }
  return entries[entries.length - 1]![0];
}

const hex = (random: Random, digits: number): string =>
  Array.from({ length: digits }, () => Math.floor(random() * 16).toString(16)).join('');

const base64url = (random: Random, bytes: number): string =>
  Buffer.from(Array.from({ length: bytes }, () => Math.floor(random() * 256))).toString('base64url');

/** A stable UUID (v4 layout) for the n-th device of a data set. */
export function benchDeviceId(label: string, n: number): string {
  const h = createHash('md5').update(`${label}-${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const FIRMWARE_VERSIONS = [
  '1.0.0',
  '1.1.0',
  '1.2.0',
  '1.2.1',
  '1.3.0',
  '2.0.0',
  '2.0.1',
  '2.1.0',
  '2.2.0',
  '3.0.0',
] as const;
const MANUFACTURERS = ['Acme', 'Globex', 'Initech', 'Umbrella'] as const;
const MODELS = ['WM-200', 'WM-300', 'GM-10', 'TH-1', 'TH-2', 'PX-9', 'LX-5', 'LX-7', 'AQ-3', 'AQ-4'] as const;
const MEDIA = ['water', 'gas', 'heat'] as const;
const OPERATORS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'] as const;
const SUSPEND_REASONS = ['billing hold', 'site closed for maintenance', 'customer request', 'fraud check'];
const RESUME_REASONS = ['billing resolved', 'site reopened', 'customer request'];

/** The searchable facts of the n-th device, also used for the bulk CSV. */
export function deviceProfile(n: number) {
  return {
    manufacturer: MANUFACTURERS[n % MANUFACTURERS.length]!,
    model: MODELS[Math.floor(n / 7) % MODELS.length]!,
    tags: [
      `site-${n % 200}`,
      MEDIA[n % MEDIA.length]!,
      ...(n % 50 === 0 ? ['pilot'] : []),
      ...(n % 7 === 0 ? [`batch-${n % 40}`] : []),
    ],
  };
}

function deviceClassOf(n: number, random: Random): { deviceClass: DeviceClassInfo; region: Region | null } {
  const slot = n % 10;
  if (slot < 4) {
    return {
      deviceClass: {
        kind: 'lorawan',
        wakeIntervalSeconds: null,
        lorawanClass: weighted(random, { A: 85, B: 5, C: 10 }),
        devEui: hex(random, 16).toUpperCase(),
      },
      region: weighted<Region>(random, { EU868: 60, US915: 30, AS923: 10 }),
    };
  }
  if (slot < 7) {
    return {
      deviceClass: {
        kind: 'sleepy',
        wakeIntervalSeconds: pick(random, [600, 900, 3600, 21_600]),
        lorawanClass: null,
        devEui: null,
      },
      region: random() < 0.5 ? 'EU868' : null,
    };
  }
  return {
    deviceClass: { kind: 'always-on', wakeIntervalSeconds: null, lorawanClass: null, devEui: null },
    region: null,
  };
}

function credentialOf(deviceClass: DeviceClassInfo, random: Random, at: number): DeviceCredential {
  const none = {
    secretHash: null,
    certificateFingerprint: null,
    certificateNotAfter: null,
    appKeyCiphertext: null,
    kekId: null,
  };
  if (deviceClass.kind === 'lorawan') {
    return {
      ...none,
      type: 'lorawan-appkey',
      appKeyCiphertext: `v1.kek-1.${base64url(random, 12)}.${base64url(random, 16)}.${base64url(random, 16)}`,
      kekId: 'kek-1',
    };
  }
  if (random() < 0.15) {
    return {
      ...none,
      type: 'x509',
      certificateFingerprint: hex(random, 64),
      certificateNotAfter: new Date(at + 730 * DAY_MS).toISOString(),
    };
  }
  return {
    ...none,
    type: 'secret',
    secretHash: `$pbkdf2-sha512$i=1000$${base64url(random, 16)}$${base64url(random, 64)}`,
  };
}

/** What the generator tracks of a device to produce only valid next events. */
interface GeneratorState {
  readonly deviceId: string;
  readonly n: number;
  readonly lorawan: boolean;
  readonly region: Region | null;
  status: DeviceStatus;
  firmware: number;
  tags: readonly string[];
  attributes: Record<string, string>;
  pending: Record<string, string | number | boolean>;
  credentialType: DeviceCredential['type'];
}

type NextType = Exclude<
  DeviceEvent['type'],
  'DeviceProvisioned' | 'DeviceDecommissioned' | 'DeviceReEnrolled'
>;

function desiredChanges(state: GeneratorState, random: Random): ConfigurationChanges {
  const options: [string, () => string | number | boolean][] = [
    ['application.reportingIntervalSeconds', () => pick(random, [300, 900, 1800, 3600])],
    ['application.wakeUp', () => pick(random, ['always-on', 'periodic', 'on-event'])],
    ['application.destination', () => `mqtts://ingest-${Math.floor(random() * 4)}.fleet.example:8883`],
    ['application.logicalName', () => `${MEDIA[state.n % MEDIA.length]}-meter-${state.n}`],
  ];
  if (state.lorawan) {
    options.push(
      ['radio.dataRate', () => Math.floor(random() * 5)],
      ['radio.adr', () => random() < 0.8],
      ['radio.txPowerDbm', () => pick(random, [2, 8, 14])],
      state.region === 'US915'
        ? ['radio.subBand', () => 1 + Math.floor(random() * 8)]
        : ['radio.channelMask', () => hex(random, 4).toUpperCase()],
    );
  }
  const changes: Record<string, string | number | boolean> = {};
  const count = 1 + Math.floor(random() * 3);
  for (let i = 0; i < count; i++) {
    const [key, value] = pick(random, options);
    changes[key] = value();
  }
  return changes;
}

/** The next event of a device, valid for its state; updates the state. */
function nextEvent(
  state: GeneratorState,
  random: Random,
  weights: Partial<Record<NextType, number>>,
): { event: DeviceEvent; actor: Actor; reason: string | null; jobId: string | null } {
  const allowed: Partial<Record<NextType, number>> = { ...weights };
  if (state.status !== 'active' && state.status !== 'provisioned') delete allowed.DeviceSuspended;
  if (state.status !== 'provisioned') delete allowed.DeviceActivated;
  if (state.status !== 'suspended' && state.status !== 'quarantined') delete allowed.DeviceResumed;
  if (state.status === 'quarantined') delete allowed.DeviceQuarantined;
  if (state.firmware >= FIRMWARE_VERSIONS.length - 1) delete allowed.FirmwareVersionChanged;
  if (state.credentialType !== 'secret') delete allowed.DeviceCredentialsRotated;
  const type = weighted(random, allowed);
  const deviceId = state.deviceId;
  const operator: Actor = { type: 'operator', id: pick(random, OPERATORS) };
  const device: Actor = { type: 'device', id: deviceId };
  switch (type) {
    case 'DeviceActivated':
      state.status = 'active';
      return { event: { type, data: { deviceId } }, actor: operator, reason: null, jobId: null };
    case 'DeviceSuspended':
      state.status = 'suspended';
      return {
        event: { type, data: { deviceId } },
        actor: operator,
        reason: pick(random, SUSPEND_REASONS),
        jobId: null,
      };
    case 'DeviceResumed':
      state.status = 'active';
      return {
        event: { type, data: { deviceId } },
        actor: operator,
        reason: pick(random, RESUME_REASONS),
        jobId: null,
      };
    case 'DeviceQuarantined':
      state.status = 'quarantined';
      return {
        event: { type, data: { deviceId } },
        actor: { type: 'service', id: 'security-monitor' },
        reason: 'unexpected uplink pattern',
        jobId: null,
      };
    case 'DeviceCredentialsRotated':
      return {
        event: {
          type,
          data: {
            deviceId,
            credential: {
              type: 'secret',
              secretHash: `$pbkdf2-sha512$i=1000$${base64url(random, 16)}$${base64url(random, 64)}`,
              certificateFingerprint: null,
              certificateNotAfter: null,
              appKeyCiphertext: null,
              kekId: null,
            },
          },
        },
        actor: operator,
        reason: 'scheduled rotation',
        jobId: null,
      };
    case 'DeviceLabelsChanged': {
      const tags = state.tags.includes('maintenance')
        ? state.tags.filter((t) => t !== 'maintenance')
        : [...state.tags, random() < 0.5 ? 'maintenance' : `batch-${Math.floor(random() * 40)}`];
      state.tags = [...new Set(tags)];
      state.attributes = { ...state.attributes, floor: String(Math.floor(random() * 8)) };
      return {
        event: { type, data: { deviceId, tags: state.tags, attributes: state.attributes } },
        actor: operator,
        reason: null,
        jobId: null,
      };
    }
    case 'DesiredConfigurationChanged': {
      const changes = desiredChanges(state, random);
      state.pending = { ...state.pending, ...(changes as Record<string, string | number | boolean>) };
      const jobId = random() < 0.4 ? `job-${Math.floor(random() * 5000)}` : null;
      return { event: { type, data: { deviceId, changes, jobId } }, actor: operator, reason: null, jobId };
    }
    case 'ConfigurationApplied': {
      const reported: ConfigurationChanges =
        Object.keys(state.pending).length > 0
          ? state.pending
          : { 'application.reportingIntervalSeconds': pick(random, [300, 900, 3600]) };
      state.pending = {};
      return { event: { type, data: { deviceId, reported } }, actor: device, reason: null, jobId: null };
    }
    case 'FirmwareVersionChanged': {
      const previousVersion = FIRMWARE_VERSIONS[state.firmware]!;
      state.firmware += 1 + Math.floor(random() * Math.min(2, FIRMWARE_VERSIONS.length - 1 - state.firmware));
      return {
        event: {
          type,
          data: { deviceId, previousVersion, firmwareVersion: FIRMWARE_VERSIONS[state.firmware]! },
        },
        actor: device,
        reason: null,
        jobId: null,
      };
    }
  }
}

const TYPICAL_MIX: Partial<Record<NextType, number>> = {
  DesiredConfigurationChanged: 30,
  ConfigurationApplied: 25,
  FirmwareVersionChanged: 12,
  DeviceLabelsChanged: 10,
  DeviceSuspended: 6,
  DeviceResumed: 40,
  DeviceCredentialsRotated: 3,
  DeviceQuarantined: 0.5,
};

function appendable(event: DeviceEvent, actor: Actor, reason: string | null, at: number, job: string | null) {
  const metadata: EventMetadata = {
    actor,
    reason,
    occurredAt: new Date(at).toISOString(),
    correlationId: job ?? randomUUID(),
    causationId: actor.type === 'device' ? null : randomUUID(),
    tenant: 'default',
  };
  return {
    id: randomUUID(),
    type: event.type,
    data: event.data as unknown as Record<string, unknown>,
    metadata,
  };
}

/** `count` increasing instants between `from` and `to`, the first at `from`. */
function instants(random: Random, count: number, from: number, to: number): number[] {
  const rest = Array.from({ length: count - 1 }, () => from + random() * (to - from)).sort((a, b) => a - b);
  // Milliseconds must increase strictly so that `occurredAt` orders the events.
  return [from, ...rest].map((t, i) => Math.floor(t) + i);
}

function provisioned(n: number, deviceId: string, serial: string, random: Random, at: number) {
  const profile = deviceProfile(n);
  const { deviceClass, region } = deviceClassOf(n, random);
  const firmware = Math.floor(random() * 6);
  const data: DeviceProvisionedData = {
    deviceId,
    serial,
    manufacturer: profile.manufacturer,
    model: profile.model,
    hardwareRevision: pick(random, ['A', 'B', 'C']),
    firmwareVersion: FIRMWARE_VERSIONS[firmware]!,
    deviceClass,
    region,
    tags: profile.tags,
    attributes: { site: `site-${n % 200}`, customer: `customer-${n % 37}` },
    credential: credentialOf(deviceClass, random, at),
  };
  const state: GeneratorState = {
    deviceId,
    n,
    lorawan: deviceClass.kind === 'lorawan',
    region,
    status: 'provisioned',
    firmware,
    tags: data.tags,
    attributes: { ...data.attributes },
    pending: {},
    credentialType: data.credential.type,
  };
  return { data, state };
}

/**
 * The `count` events of the n-th device of a fleet: provisioned between 90 and 30 days ago,
 * activated (95 %), then a realistic mix, each later than the one before, the last before `now`.
 */
export function fleetDeviceEvents(label: string, n: number, count: number, now: number): EventToAppend[] {
  const random = seededRandom(n * 7919 + 17);
  const deviceId = benchDeviceId(label, n);
  const start = now - 90 * DAY_MS + random() * 60 * DAY_MS;
  const times = instants(random, count, start, now - 60_000);
  const serial = `SN-${hex(random, 10).toUpperCase()}-${n}`;
  const { data, state } = provisioned(n, deviceId, serial, random, times[0]!);
  const provisionedBy: Actor = { type: 'operator', id: pick(random, OPERATORS) };
  const events = [appendable({ type: 'DeviceProvisioned', data }, provisionedBy, null, times[0]!, null)];
  for (let i = 1; i < count; i++) {
    const weights = i === 1 ? { DeviceActivated: 95, DesiredConfigurationChanged: 5 } : TYPICAL_MIX;
    const next = nextEvent(state, random, weights);
    events.push(appendable(next.event, next.actor, next.reason, times[i]!, next.jobId));
  }
  return events;
}

/**
 * A long-lived device with `count` events over the last 90 days: mostly configuration changes
 * and reports, a suspension about every 1,000 events (a rare type, so a type filter scans).
 */
export function longHistoryEvents(deviceId: string, count: number, now: number): EventToAppend[] {
  const random = seededRandom(4242);
  const times = instants(random, count, now - 90 * DAY_MS, now - 60_000);
  const { data, state } = provisioned(3, deviceId, `SN-HISTORY-${deviceId.slice(0, 8)}`, random, times[0]!);
  const events = [
    appendable({ type: 'DeviceProvisioned', data }, { type: 'operator', id: 'alice' }, null, times[0]!, null),
  ];
  for (let i = 1; i < count; i++) {
    const weights: Partial<Record<NextType, number>> =
      i === 1
        ? { DeviceActivated: 1 }
        : state.status !== 'active'
          ? { DeviceResumed: 1 }
          : i % 1000 === 500
            ? { DeviceSuspended: 1 }
            : { DesiredConfigurationChanged: 50, ConfigurationApplied: 45, DeviceLabelsChanged: 5 };
    const next = nextEvent(state, random, weights);
    events.push(appendable(next.event, next.actor, next.reason, times[i]!, next.jobId));
  }
  return events;
}

/** The events device-twin records for one provisioned row: DeviceProvisioned and DeviceActivated. */
export function provisioningEvents(
  n: number,
  deviceId: string,
  serial: string,
  now: number,
): EventToAppend[] {
  const random = seededRandom(n + 99);
  const { data } = provisioned(n, deviceId, serial, random, now);
  const actor: Actor = { type: 'operator', id: 'dev-operator' };
  const job = `bulk-${randomUUID()}`;
  return [
    appendable({ type: 'DeviceProvisioned', data }, actor, null, now, job),
    appendable({ type: 'DeviceActivated', data: { deviceId } }, actor, null, now, job),
  ];
}
