import { createHash } from 'node:crypto';
import { ValidationError } from '@fleet/core';
import type { StoredDevice } from './fleet-store';
import type { DeviceKind } from './simulator-stats';

export const SENSOR_MODEL = 'FW-SENSOR-1';
export const LORAWAN_MODEL = 'FW-LORA-METER';
/** 1/φ: the shares of `n·(1/φ) mod 1` are even for every fleet size, and device n keeps its class as N grows. */
const GOLDEN = 0.6180339887498949;

export interface FleetPlan {
  /** Names the serials (`sim-<fleet>-<n>`) and the secrets file. */
  readonly fleet: string;
  readonly devices: number;
  /** Share (0..1) of sleepy devices. Default 0. */
  readonly sleepyShare?: number;
  /** Share (0..1) of LoRaWAN devices. Default 0. */
  readonly lorawanShare?: number;
  /** Wake interval of sleepy devices; device-twin requires ≥ 10. Default 60. */
  readonly wakeIntervalSeconds?: number;
}

export interface PlannedDevice extends StoredDevice {
  readonly deviceId: string;
}

/** The devices of a fleet, deterministically: the same options give the same ids, classes and DevEUIs. */
export function planFleet(plan: FleetPlan): PlannedDevice[] {
  const { fleet, devices, sleepyShare = 0, lorawanShare = 0, wakeIntervalSeconds = 60 } = plan;
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(fleet))
    throw new ValidationError(`fleet ${fleet}: 1-32 of a-z 0-9 -`);
  if (!(Number.isInteger(devices) && devices >= 0))
    throw new ValidationError(`devices must be a whole number`);
  if (!(sleepyShare >= 0 && lorawanShare >= 0 && sleepyShare + lorawanShare <= 1))
    throw new ValidationError('sleepy and LoRaWAN shares must be 0..1 and add up to at most 1');
  if (!(Number.isInteger(wakeIntervalSeconds) && wakeIntervalSeconds >= 10))
    throw new ValidationError('wakeIntervalSeconds must be a whole number ≥ 10');
  return Array.from({ length: devices }, (_, index) => {
    const serial = `sim-${fleet}-${index + 1}`;
    const position = ((index + 1) * GOLDEN) % 1;
    const kind: DeviceKind =
      position < lorawanShare ? 'lorawan' : position < lorawanShare + sleepyShare ? 'sleepy' : 'always-on';
    if (kind === 'lorawan')
      return { deviceId: serial, serial, kind, model: LORAWAN_MODEL, devEui: devEuiOf(serial) };
    return {
      deviceId: serial,
      serial,
      kind,
      model: SENSOR_MODEL,
      ...(kind === 'sleepy' ? { wakeIntervalSeconds } : {}),
    };
  });
}

/** A DevEUI derived from the serial (first 8 bytes of its SHA-256), so reruns find the same device. */
export function devEuiOf(serial: string): string {
  return createHash('sha256').update(serial).digest('hex').slice(0, 16);
}

/** One row of `POST /devices/bulk`. */
export function provisioningRow(device: PlannedDevice, firmwareVersion: string): Record<string, unknown> {
  const { deviceId, serial, model, kind } = device;
  const deviceClass =
    kind === 'lorawan'
      ? { kind, lorawanClass: 'A', devEui: device.devEui }
      : kind === 'sleepy'
        ? { kind, wakeIntervalSeconds: device.wakeIntervalSeconds }
        : { kind };
  return {
    deviceId,
    serial,
    manufacturer: 'Fleetwise Simulator',
    model,
    firmwareVersion,
    deviceClass,
    ...(kind === 'lorawan' ? { region: 'EU868' } : {}),
    tags: ['simulator'],
  };
}
