import { ValidationError } from '@fleet/core';

/** A LoRa data rate of a regional plan, with the largest FRMPayload it carries. */
export interface LoraDataRate {
  readonly dataRate: number;
  readonly spreadingFactor: number;
  readonly bandwidthHz: number;
  /** N of RP002-1.0.x: largest FRMPayload without FOpts (multicast downlinks carry none). */
  readonly maxFrmPayloadBytes: number;
}

/**
 * EU863-870 LoRa data rates (LoRaWAN Regional Parameters RP002-1.0.x, EU868 DR0-DR6; DR7 is FSK
 * and not used for FUOTA), payload limits without a repeater.
 */
export const EU868_DATA_RATES: readonly LoraDataRate[] = [
  { dataRate: 0, spreadingFactor: 12, bandwidthHz: 125_000, maxFrmPayloadBytes: 51 },
  { dataRate: 1, spreadingFactor: 11, bandwidthHz: 125_000, maxFrmPayloadBytes: 51 },
  { dataRate: 2, spreadingFactor: 10, bandwidthHz: 125_000, maxFrmPayloadBytes: 51 },
  { dataRate: 3, spreadingFactor: 9, bandwidthHz: 125_000, maxFrmPayloadBytes: 115 },
  { dataRate: 4, spreadingFactor: 8, bandwidthHz: 125_000, maxFrmPayloadBytes: 242 },
  { dataRate: 5, spreadingFactor: 7, bandwidthHz: 125_000, maxFrmPayloadBytes: 242 },
  { dataRate: 6, spreadingFactor: 7, bandwidthHz: 250_000, maxFrmPayloadBytes: 242 },
];

export function eu868DataRate(dataRate: number): LoraDataRate {
  const found = EU868_DATA_RATES.find((candidate) => candidate.dataRate === dataRate);
  if (!found) throw new ValidationError(`EU868 DR${dataRate} is not a LoRa data rate (DR0-DR6)`);
  return found;
}

export interface SubBand {
  readonly name: string;
  readonly fromHz: number;
  readonly toHz: number;
  /** Fraction of time a transmitter may be on air in the sub-band (0.01 = 1 %). */
  readonly dutyCycle: number;
}

/**
 * EU868 sub-bands and their duty cycles (ETSI EN 300 220-2 as RP002 and LoRaMac-node apply them).
 * Class C multicast often uses 869.525 MHz, the RX2 default, in the 10 % sub-band.
 */
export const EU868_SUB_BANDS: readonly SubBand[] = [
  { name: 'h1.3 863-865 MHz', fromHz: 863_000_000, toHz: 865_000_000, dutyCycle: 0.001 },
  { name: 'h1.4 865-868 MHz', fromHz: 865_000_000, toHz: 868_000_000, dutyCycle: 0.01 },
  { name: 'g1 868.0-868.6 MHz', fromHz: 868_000_000, toHz: 868_600_000, dutyCycle: 0.01 },
  { name: 'g2 868.7-869.2 MHz', fromHz: 868_700_000, toHz: 869_200_000, dutyCycle: 0.001 },
  { name: 'g3 869.4-869.65 MHz', fromHz: 869_400_000, toHz: 869_650_000, dutyCycle: 0.1 },
  { name: 'g4 869.7-870.0 MHz', fromHz: 869_700_000, toHz: 870_000_000, dutyCycle: 0.01 },
];

export function eu868SubBand(frequencyHz: number): SubBand {
  const found = EU868_SUB_BANDS.find((band) => frequencyHz >= band.fromHz && frequencyHz <= band.toHz);
  if (!found)
    throw new ValidationError(
      `${frequencyHz / 1e6} MHz is in no EU868 sub-band (863-870 MHz, gaps excluded)`,
    );
  return found;
}
