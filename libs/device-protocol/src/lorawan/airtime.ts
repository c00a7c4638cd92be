import { ValidationError } from '@fleet/core';

export interface LoraTransmission {
  /** 6-12 (the SX1276 formula's range; LoRaWAN uses 7-12). */
  readonly spreadingFactor: number;
  readonly bandwidthHz: number;
  /** PHYPayload size: for a LoRaWAN uplink 13 bytes of headers and MIC plus FOpts and FRMPayload. */
  readonly payloadBytes: number;
  /** CR 4/(4+codingRate): 1 (4/5, LoRaWAN's rate) to 4 (4/8). Default 1. */
  readonly codingRate?: number;
  /** Programmed preamble length; LoRaWAN uses 8. */
  readonly preambleSymbols?: number;
  /** Explicit header mode (LoRaWAN uplinks and downlinks). Default true. */
  readonly explicitHeader?: boolean;
  /** Payload CRC (on for LoRaWAN uplinks, off for downlinks). Default true. */
  readonly crc?: boolean;
  /** Low data rate optimisation; `auto` enables it when a symbol lasts more than 16 ms, as LoRaWAN does. */
  readonly lowDataRateOptimize?: boolean | 'auto';
}

/**
 * Time on air of one LoRa frame in milliseconds, by the Semtech SX1276 datasheet formula (§4.1.1.7):
 * preamble (n + 4.25 symbols) plus 8 + max(ceil((8PL - 4SF + 28 + 16CRC - 20IH) / (4(SF - 2DE))) ×
 * (CR + 4), 0) payload symbols, each lasting 2^SF / BW.
 */
export function loraAirtimeMs(transmission: LoraTransmission): number {
  const { spreadingFactor: sf, bandwidthHz, payloadBytes } = transmission;
  const { codingRate = 1, preambleSymbols = 8, explicitHeader = true, crc = true } = transmission;
  const wholeIn = (value: number, min: number, max: number) =>
    Number.isInteger(value) && value >= min && value <= max;
  if (!wholeIn(sf, 6, 12)) throw new ValidationError(`spreading factor ${sf} is not 6-12`);
  if (!(bandwidthHz > 0 && Number.isFinite(bandwidthHz)))
    throw new ValidationError(`bandwidth ${bandwidthHz} Hz is not positive`);
  if (!wholeIn(payloadBytes, 0, 255))
    throw new ValidationError(`payload of ${payloadBytes} bytes is not 0-255`);
  if (!wholeIn(codingRate, 1, 4)) throw new ValidationError(`coding rate ${codingRate} is not 1-4 (4/5-4/8)`);
  if (!wholeIn(preambleSymbols, 6, 65535))
    throw new ValidationError(`preamble of ${preambleSymbols} symbols is not 6-65535`);
  const symbolMs = (2 ** sf / bandwidthHz) * 1000;
  const ldro = transmission.lowDataRateOptimize ?? 'auto';
  const de = (ldro === 'auto' ? symbolMs > 16 : ldro) ? 1 : 0;
  const numerator = 8 * payloadBytes - 4 * sf + 28 + 16 * (crc ? 1 : 0) - 20 * (explicitHeader ? 0 : 1);
  const payloadSymbols = 8 + Math.max(Math.ceil(numerator / (4 * (sf - 2 * de))) * (codingRate + 4), 0);
  return (preambleSymbols + 4.25 + payloadSymbols) * symbolMs;
}

/** LoRaWAN PHYPayload size of an uplink without FOpts: MHDR 1 + FHDR 7 + FPort 1 + FRMPayload + MIC 4. */
export function lorawanPhyPayloadBytes(frmPayloadBytes: number, hasFPort = true): number {
  return 12 + (hasFPort ? 1 : 0) + frmPayloadBytes;
}

/** `4/5` (The Things Stack) or `CR_4_5` (ChirpStack) → 1; LoRaWAN's 4/5 when absent or unknown. */
export function codingRateOf(name: string | undefined): number {
  const [, denominator] = /4[/_]([5-8])/.exec(name ?? '') ?? [];
  return denominator === undefined ? 1 : Number(denominator) - 4;
}
