import { ValidationError } from '@fleet/core';

/** A configuration value as devices and operators exchange it. */
export type ConfigValue = string | number | boolean;
/** Flat configuration keyed by `section.parameter`; `null` in a change removes the key. */
export type Configuration = Readonly<Record<string, ConfigValue>>;
export type ConfigurationChanges = Readonly<Record<string, ConfigValue | null>>;

export type Region = 'EU868' | 'US915' | 'AS923';
export const REGIONS: readonly Region[] = ['EU868', 'US915', 'AS923'];

/**
 * Regional radio limits (LoRaWAN Regional Parameters RP002): highest uplink data rate, highest
 * transmit power operators may set (EIRP, dBm), whether the plan has 8 selectable sub-bands of
 * 8 channels, and the duty-cycle share of air time a device may use (null: no duty-cycle rule,
 * dwell-time limited instead).
 */
export const REGION_LIMITS: Readonly<
  Record<Region, { maxDataRate: number; maxTxPowerDbm: number; subBands: boolean; dutyCycle: number | null }>
> = {
  EU868: { maxDataRate: 7, maxTxPowerDbm: 16, subBands: false, dutyCycle: 0.01 },
  US915: { maxDataRate: 4, maxTxPowerDbm: 30, subBands: true, dutyCycle: null },
  AS923: { maxDataRate: 7, maxTxPowerDbm: 16, subBands: false, dutyCycle: 0.01 },
};

export const WAKE_UP_MODES = ['always-on', 'periodic', 'on-event'] as const;

/** Every configuration parameter the fleet manages; radio parameters apply to LoRaWAN devices only. */
export const CONFIGURATION_KEYS = [
  'application.logicalName',
  'application.destination',
  'application.reportingIntervalSeconds',
  'application.wakeUp',
  'radio.subBand',
  'radio.channelMask',
  'radio.dataRate',
  'radio.adr',
  'radio.txPowerDbm',
] as const;
export type ConfigurationKey = (typeof CONFIGURATION_KEYS)[number];

export interface RadioContext {
  readonly lorawan: boolean;
  readonly region: Region | null;
}

/**
 * Domain checks that depend on the device (its class and band plan); field formats are checked at
 * the edge. @throws ValidationError naming the offending parameter.
 */
export function assertApplicable(changes: ConfigurationChanges, device: RadioContext): void {
  for (const [key, value] of Object.entries(changes)) {
    if (!(CONFIGURATION_KEYS as readonly string[]).includes(key)) {
      throw new ValidationError(`${key}: unknown configuration parameter`, { key });
    }
    if (value === null || !key.startsWith('radio.')) continue;
    if (!device.lorawan) {
      throw new ValidationError(`${key}: radio parameters apply to LoRaWAN devices only`, { key });
    }
    const limits = device.region ? REGION_LIMITS[device.region] : undefined;
    if (!limits) throw new ValidationError(`${key}: the device has no band plan (region)`, { key });
    if (key === 'radio.dataRate' && typeof value === 'number' && value > limits.maxDataRate) {
      throw new ValidationError(
        `${key}: DR${value} is not an uplink data rate of ${device.region} (DR0-DR${limits.maxDataRate})`,
        { key },
      );
    }
    if (key === 'radio.txPowerDbm' && typeof value === 'number' && value > limits.maxTxPowerDbm) {
      throw new ValidationError(
        `${key}: ${value} dBm exceeds ${limits.maxTxPowerDbm} dBm allowed in ${device.region}`,
        {
          key,
        },
      );
    }
    if (key === 'radio.subBand' && !limits.subBands) {
      throw new ValidationError(`${key}: ${device.region} has no sub-bands; set radio.channelMask instead`, {
        key,
      });
    }
  }
}

/** Applies changes: a value sets a key, null removes it. */
export function applyChanges(config: Configuration, changes: ConfigurationChanges): Configuration {
  const next: Record<string, ConfigValue> = { ...config };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}

/** The subset of `changes` that would actually change `config`. */
export function effectiveChanges(config: Configuration, changes: ConfigurationChanges): ConfigurationChanges {
  return Object.fromEntries(
    Object.entries(changes).filter(([key, value]) =>
      value === null ? key in config : config[key] !== value,
    ),
  );
}

/** Desired keys the device has not yet reported equal. */
export function configurationDelta(desired: Configuration, reported: Configuration): Configuration {
  return Object.fromEntries(Object.entries(desired).filter(([key, value]) => reported[key] !== value));
}
