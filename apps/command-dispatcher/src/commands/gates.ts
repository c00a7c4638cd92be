import type { DeliveryMode, OperationRequest } from './command-events';
import type { Refusal } from './command';

/** What the dispatcher knows of a device (its projection of device events and telemetry). */
export interface DeviceView {
  readonly deviceId: string;
  readonly status: 'provisioned' | 'active' | 'suspended' | 'quarantined' | 'decommissioned';
  readonly kind: 'always-on' | 'sleepy' | 'lorawan';
  readonly lorawanClass: 'A' | 'B' | 'C' | null;
  readonly devEui: string | null;
  /** Network-server application of a LoRaWAN device (attribute `lorawanApplicationId`), else the default. */
  readonly lorawanApplicationId: string | null;
  readonly region: string | null;
  /** Last battery level the device reported (%), null when it never did. */
  readonly batteryPercent: number | null;
  /** LwM2M /5/0/3 as last reported: 0 idle, 1 downloading, 2 downloaded, 3 updating. */
  readonly firmwareUpdateState: number | null;
  /** Reported LoRaWAN data rate (radio.dataRate), null when unknown. */
  readonly dataRate: number | null;
  /** Downlink air time spent in the current budget window (ms) and when that window began. */
  readonly airtimeUsedMs: number;
  readonly airtimeWindowStart: string | null;
  /** Commands the device takes at once (attribute `maxInFlightCommands`, default 1). */
  readonly maxInFlight: number;
  readonly lastUplinkAt: string | null;
}

export interface GatePolicy {
  /** Heavy operations (firmware, factory reset) need at least this battery level (%). */
  readonly minBatteryPercentForHeavy: number;
  /** Share of air time a device's downlinks may use, by region (EU868 1 %); unknown regions use `default`. */
  readonly dutyCycleByRegion: Readonly<Record<string, number>>;
  /** The rolling budget window the duty cycle applies to. */
  readonly airtimeWindowMs: number;
}

export const DEFAULT_GATE_POLICY: GatePolicy = {
  minBatteryPercentForHeavy: 20,
  dutyCycleByRegion: { EU868: 0.01, AS923: 0.01, US915: 0.04, default: 0.01 },
  airtimeWindowMs: 3_600_000,
};

const REBOOT = '/3/0/4';
const FACTORY_RESET = '/3/0/5';
const UPDATING_STATES: ReadonlySet<number> = new Set([1, 2, 3]);
const FIRMWARE_STATE_NAMES = ['idle', 'downloading', 'downloaded', 'updating'];

/** Firmware (object 5 writes and executes) and factory reset drain a battery or risk the device. */
export function isHeavy(request: Pick<OperationRequest, 'operation' | 'path'>): boolean {
  const changes = request.operation === 'write' || request.operation === 'execute';
  return (
    (changes && request.path.startsWith('/5/')) ||
    (request.operation === 'execute' && request.path === FACTORY_RESET)
  );
}

const interruptsUpdate = (request: Pick<OperationRequest, 'operation' | 'path'>): boolean =>
  request.operation === 'execute' && (request.path === REBOOT || request.path === FACTORY_RESET);

/** The radio cost of a LoRaWAN downlink; null for devices reached over MQTT. */
export interface RadioCost {
  readonly payloadBytes: number;
  readonly maxPayloadBytes: number;
  readonly dataRateLabel: string;
  readonly airtimeMs: number;
}

/**
 * The safety gates, in order: device status, firmware update in progress, battery, payload size,
 * air-time budget. The first that refuses gives the reason; null lets the command through.
 */
export function checkGates(
  request: Pick<OperationRequest, 'operation' | 'path'>,
  device: DeviceView,
  policy: GatePolicy,
  now: string,
  radio: RadioCost | null,
): Refusal | null {
  if (
    device.status === 'suspended' ||
    device.status === 'quarantined' ||
    device.status === 'decommissioned'
  ) {
    return { gate: 'device-status', reason: `device ${device.deviceId} is ${device.status}` };
  }
  if (
    interruptsUpdate(request) &&
    device.firmwareUpdateState !== null &&
    UPDATING_STATES.has(device.firmwareUpdateState)
  ) {
    const state = FIRMWARE_STATE_NAMES[device.firmwareUpdateState];
    return {
      gate: 'firmware-update',
      reason: `${request.path === REBOOT ? 'reboot' : 'factory reset'} refused: a firmware update is in progress (state ${device.firmwareUpdateState}, ${state})`,
    };
  }
  if (
    isHeavy(request) &&
    device.batteryPercent !== null &&
    device.batteryPercent < policy.minBatteryPercentForHeavy
  ) {
    return {
      gate: 'battery',
      reason: `battery at ${device.batteryPercent} % is below the ${policy.minBatteryPercentForHeavy} % required for ${request.operation} on ${request.path}`,
    };
  }
  if (radio) return radioRefusal(device, policy, now, radio);
  return null;
}

function radioRefusal(device: DeviceView, policy: GatePolicy, now: string, radio: RadioCost): Refusal | null {
  if (radio.payloadBytes > radio.maxPayloadBytes) {
    return {
      gate: 'payload-size',
      reason: `the command needs ${radio.payloadBytes} bytes but ${radio.dataRateLabel} carries at most ${radio.maxPayloadBytes}`,
    };
  }
  const budget = airtimeBudgetMs(device.region, policy);
  const used = airtimeUsedNow(device, policy, now);
  if (used + radio.airtimeMs > budget) {
    return {
      gate: 'airtime',
      reason: `downlink air time would reach ${round(used + radio.airtimeMs)} ms of the ${round(budget)} ms allowed per ${policy.airtimeWindowMs / 60_000} min (${(dutyCycle(device.region, policy) * 100).toFixed(1)} % duty cycle in ${device.region ?? 'its region'})`,
    };
  }
  return null;
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

const dutyCycle = (region: string | null, policy: GatePolicy): number =>
  policy.dutyCycleByRegion[region ?? 'default'] ?? policy.dutyCycleByRegion['default'] ?? 0.01;

export const airtimeBudgetMs = (region: string | null, policy: GatePolicy): number =>
  dutyCycle(region, policy) * policy.airtimeWindowMs;

/** Air time used in the window that contains `now`; a window that has ended counts as empty. */
export function airtimeUsedNow(
  device: Pick<DeviceView, 'airtimeUsedMs' | 'airtimeWindowStart'>,
  policy: GatePolicy,
  now: string,
): number {
  if (device.airtimeWindowStart === null) return 0;
  return Date.parse(now) - Date.parse(device.airtimeWindowStart) < policy.airtimeWindowMs
    ? device.airtimeUsedMs
    : 0;
}

/** How commands reach a device of this class. */
export function deliveryModeOf(device: Pick<DeviceView, 'kind' | 'lorawanClass'>): DeliveryMode {
  if (device.kind === 'sleepy') return 'on-wake';
  if (device.kind === 'lorawan') return device.lorawanClass === 'C' ? 'immediate' : 'network-server';
  return 'immediate';
}

/** Whether a device can take a downlink now: always, or within its listen window after it last talked. */
export function isListening(
  device: Pick<DeviceView, 'kind' | 'lorawanClass' | 'lastUplinkAt'>,
  now: string,
  listenWindowMs: number,
): boolean {
  if (deliveryModeOf(device) === 'immediate') return true;
  if (device.lastUplinkAt === null) return false;
  return Date.parse(now) - Date.parse(device.lastUplinkAt) <= listenWindowMs;
}
