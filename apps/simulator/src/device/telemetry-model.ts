import type { Random } from './random';

/** What a simulated device measures; numbers as the device would report them (rounded). */
export interface Readings {
  readonly batteryPercent: number;
  /** Radio signal strength, dBm. */
  readonly rssi: number;
  /** Signal-to-noise ratio, dB. */
  readonly snr: number;
  /** °C. */
  readonly temperature: number;
  /** Cumulative energy, Wh (meters). */
  readonly energyWh: number;
}

/**
 * Realistic bounds of the link: cellular/Wi-Fi modems report RSSI about −110..−50 dBm and SNR up to
 * 30 dB; LoRa gateways hear end devices down to about −125 dBm and −20 dB (SF12's demodulation floor).
 */
export const RADIO_PROFILES = {
  ip: { rssi: [-110, -50], snr: [-10, 30], rssiStep: 2, snrStep: 1 },
  lora: { rssi: [-125, -60], snr: [-20, 12], rssiStep: 3, snrStep: 1.5 },
} as const;
export type RadioProfile = keyof typeof RADIO_PROFILES;

export interface BatteryModel {
  /** Mean drain per uplink, in percentage points; each device drains 0.5-1.5× this. Default 0.01. */
  readonly drainPerUplink: number;
  /** The battery never reports less (a device below it would be dead, not simulated). Default 5. */
  readonly floor: number;
}
export const DEFAULT_BATTERY: BatteryModel = { drainPerUplink: 0.01, floor: 5 };

/** Internal state: the battery keeps its fraction so a slow drain adds up. */
export interface TelemetryState {
  readonly battery: number;
  readonly drainFactor: number;
  readonly rssi: number;
  readonly snr: number;
  readonly temperature: number;
  readonly energyWh: number;
}

export function initialTelemetry(random: Random, profile: RadioProfile): TelemetryState {
  const { rssi, snr } = RADIO_PROFILES[profile];
  return {
    battery: 60 + random() * 40,
    drainFactor: 0.5 + random(),
    rssi: rssi[0] + (rssi[1] - rssi[0]) * (0.3 + random() * 0.5),
    snr: snr[0] + (snr[1] - snr[0]) * (0.3 + random() * 0.5),
    temperature: 15 + random() * 10,
    energyWh: Math.floor(random() * 100_000),
  };
}

/** One uplink later: the battery drains, the radio wanders within its bounds, the room warms or cools. */
export function nextTelemetry(
  state: TelemetryState,
  random: Random,
  profile: RadioProfile,
  battery: BatteryModel = DEFAULT_BATTERY,
): TelemetryState {
  const radio = RADIO_PROFILES[profile];
  return {
    ...state,
    battery: Math.max(battery.floor, state.battery - battery.drainPerUplink * state.drainFactor),
    rssi: walk(state.rssi, radio.rssiStep, radio.rssi, random),
    snr: walk(state.snr, radio.snrStep, radio.snr, random),
    // Pulled back towards 21 °C so it never wanders off to implausible values.
    temperature: walk(state.temperature + (21 - state.temperature) * 0.05, 0.3, [-20, 60], random),
    energyWh: state.energyWh + Math.floor(random() * 5),
  };
}

export function readingsOf(state: TelemetryState): Readings {
  return {
    batteryPercent: Math.round(state.battery * 10) / 10,
    rssi: Math.round(state.rssi),
    snr: Math.round(state.snr * 10) / 10,
    temperature: Math.round(state.temperature * 100) / 100,
    energyWh: state.energyWh,
  };
}

/** A bounded random walk: a step of up to ±`step`, reflected back inside `[min, max]`. */
export function walk(
  value: number,
  step: number,
  [min, max]: readonly [number, number],
  random: Random,
): number {
  const next = value + (random() * 2 - 1) * step;
  if (next > max) return Math.max(min, 2 * max - next);
  if (next < min) return Math.min(max, 2 * min - next);
  return next;
}

/**
 * The spreading factor ADR would settle on for this SNR: the fastest one whose demodulation floor
 * (−7.5 dB at SF7, 2.5 dB lower per step) still leaves a few dB of margin.
 */
export function spreadingFactorFor(snr: number): number {
  for (let sf = 7; sf < 12; sf++) if (snr >= -7.5 - 2.5 * (sf - 7) + 3) return sf;
  return 12;
}

/** EU868 data-rate index of a spreading factor at 125 kHz (DR0 = SF12 ... DR5 = SF7). */
export function eu868DataRate(spreadingFactor: number): number {
  return 12 - spreadingFactor;
}
