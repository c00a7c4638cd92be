import { ValidationError } from '@fleet/core';

/**
 * How simulated LoRaWAN devices take a multicast firmware session (TS003 clock sync, TS005
 * multicast setup, TS004 fragmentation). Their trusted keys are the firmware option's
 * `trustedKeysDir` (`--firmware-trusted-keys`): one manufacturer key for both update paths.
 */
export interface LorawanFuotaOptions {
  /** Probability (0..1) that a device misses a multicast fragment, drawn per device and fragment, seeded. Default 0. */
  readonly fragmentLoss?: number;
  /** Per-device loss overriding `fragmentLoss` (e.g. a device behind a worse link). Default none. */
  readonly fragmentLossByDevice?: Readonly<Record<string, number>>;
  /** Each device's clock is off by up to ± this many seconds until it syncs (TS003). Default 0. */
  readonly clockSkewSeconds?: number;
  /** Time from the block being complete and verified to the restart on the new firmware, ms. Default 500. */
  readonly applyDelayMs?: number;
  /** Largest data block a device accepts (its flash); FragSessionSetupReq beyond: NotEnoughMemory. Default 1 MiB. */
  readonly maxBlockBytes?: number;
}

export type LorawanFuotaSettings = Required<LorawanFuotaOptions>;

const share = (name: string, value: number) => {
  if (!(value >= 0 && value <= 1))
    throw new ValidationError(`simulator options: lorawanFuota.${name} must be 0..1`);
  return value;
};

/** Defaults filled in and ranges checked; idempotent. */
export function resolveLorawanFuota(options: LorawanFuotaOptions = {}): LorawanFuotaSettings {
  const settings: LorawanFuotaSettings = {
    fragmentLoss: share('fragmentLoss', options.fragmentLoss ?? 0),
    fragmentLossByDevice: options.fragmentLossByDevice ?? {},
    clockSkewSeconds: options.clockSkewSeconds ?? 0,
    applyDelayMs: options.applyDelayMs ?? 500,
    maxBlockBytes: options.maxBlockBytes ?? 1024 * 1024,
  };
  for (const [deviceId, loss] of Object.entries(settings.fragmentLossByDevice))
    share(`fragmentLossByDevice.${deviceId}`, loss);
  if (!(settings.clockSkewSeconds >= 0 && settings.clockSkewSeconds <= 3_600))
    throw new ValidationError('simulator options: lorawanFuota.clockSkewSeconds must be 0..3600');
  if (!(settings.applyDelayMs >= 0))
    throw new ValidationError('simulator options: lorawanFuota.applyDelayMs must be ≥ 0');
  if (!(settings.maxBlockBytes >= 1))
    throw new ValidationError('simulator options: lorawanFuota.maxBlockBytes must be ≥ 1');
  return settings;
}

/** The loss of one device's multicast fragments. */
export const fragmentLossOf = (settings: LorawanFuotaSettings, deviceId: string): number =>
  settings.fragmentLossByDevice[deviceId] ?? settings.fragmentLoss;
