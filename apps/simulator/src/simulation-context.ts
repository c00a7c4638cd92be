import type { PayloadFormat } from '@fleet/device-protocol';
import { DeviceModel } from './device/device-model';
import type { MalformedCycle } from './device/malformed';
import { seededRandom, seedOf, type Random } from './device/random';
import type { RadioProfile } from './device/telemetry-model';
import type { SimulatedDevice, SimulatorSettings } from './simulator-options';
import type { SimulatorStats } from './simulator-stats';

/** What every simulated device shares with the rest of the fleet. */
export interface SimulationContext {
  readonly settings: SimulatorSettings;
  readonly stats: SimulatorStats;
  readonly malformed: MalformedCycle;
}

export const DEFAULT_FIRMWARE_VERSION = '1.4.2';

/** Each device has its own random stream (from the seed and its id), so devices do not move in step. */
export function deviceRandom(context: SimulationContext, device: SimulatedDevice): Random {
  return seededRandom(context.settings.seed ^ seedOf(device.deviceId));
}

export function deviceModel(
  context: SimulationContext,
  device: SimulatedDevice,
  random: Random,
  profile: RadioProfile,
): DeviceModel {
  const intervalSeconds = Math.max(1, Math.round(intervalMs(context, device) / 1000));
  return new DeviceModel({
    firmwareVersion: device.firmwareVersion ?? DEFAULT_FIRMWARE_VERSION,
    profile,
    random,
    battery: context.settings.battery,
    configuration: {
      'application.reportingIntervalSeconds': intervalSeconds,
      'application.wakeUp': device.kind === 'always-on' ? 'always-on' : 'periodic',
    },
  });
}

/** Time between uplinks: the wake interval of sleepy and LoRaWAN devices when given, else the option. */
export function intervalMs(context: SimulationContext, device: SimulatedDevice): number {
  const { wakeIntervalSeconds } = device;
  return device.kind !== 'always-on' && wakeIntervalSeconds !== undefined
    ? wakeIntervalSeconds * 1000
    : context.settings.telemetryIntervalMs;
}

export function payloadFormatOf(context: SimulationContext, random: Random): PayloadFormat {
  const { format } = context.settings;
  return format === 'mixed' ? (random() < 0.5 ? 'json' : 'cbor') : format;
}
