import { ValidationError } from '@fleet/core';

/**
 * LoRaWAN regions whose downlink limits Fleetwise knows. Device-twin's `Region` (EU868, US915,
 * AS923) is a subset; AS923 stands for every AS923-n plan (same data rates and payload sizes).
 */
export type LorawanRegion = 'EU868' | 'US915' | 'AU915' | 'AS923' | 'IN865';
export const LORAWAN_REGIONS: readonly LorawanRegion[] = ['EU868', 'US915', 'AU915', 'AS923', 'IN865'];

export interface RegionOptions {
  /**
   * AS923 only: the network enforces the 400 ms downlink dwell time (TxParamSetupReq
   * DownlinkDwellTime = 1), which removes DR0-1 and shrinks DR2-4. Default false, the
   * regional default.
   */
  readonly dwellTime400ms?: boolean;
}

interface RegionTable {
  /** N by downlink data rate (no dwell-time limit). */
  readonly downlink: Readonly<Record<number, number>>;
  /** AS923 with the 400 ms dwell time. */
  readonly downlinkDwell?: Readonly<Record<number, number>>;
  /** RX1 data rate by uplink data rate, one entry per RX1DROffset. */
  readonly rx1: (uplink: number, offset: number, dwell: boolean) => number | undefined;
}

/** RX1 = uplink DR − offset, not below 0 (EU868, offsets 0-5). */
const minus = (uplink: number, offset: number) => (offset <= 5 ? Math.max(0, uplink - offset) : undefined);
const table = (rows: Record<number, readonly number[]>) => (uplink: number, offset: number) =>
  rows[uplink]?.[offset];
const N51 = { 0: 51, 1: 51, 2: 51, 3: 115, 4: 242, 5: 242 };
/** US915 and AU915 downlinks use 500 kHz DR8-DR13. */
const DOWNLINK_500KHZ = { 8: 53, 9: 129, 10: 242, 11: 242, 12: 242, 13: 242 };

/**
 * Maximum application payload N (bytes, FOpts empty, not repeater compatible) by data rate, from
 * LoRaWAN Regional Parameters RP002-1.0.4 ("maximum payload size" table of each region; N = M - 8),
 * and the RX1 data rate tables of the same document ("Receive Windows").
 */
const REGIONS: Record<LorawanRegion, { readonly uplink: readonly number[] } & RegionTable> = {
  EU868: {
    uplink: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    downlink: { ...N51, 6: 242, 7: 242 },
    // DR8-11 are LR-FHSS uplinks, answered at LoRa rates.
    rx1: (uplink, offset) =>
      uplink <= 7
        ? minus(uplink, offset)
        : table({
            8: [1, 0, 0, 0, 0, 0],
            9: [2, 1, 0, 0, 0, 0],
            10: [1, 0, 0, 0, 0, 0],
            11: [2, 1, 0, 0, 0, 0],
          })(uplink, offset),
  },
  US915: {
    uplink: [0, 1, 2, 3, 4, 5, 6],
    downlink: DOWNLINK_500KHZ,
    rx1: table({
      0: [10, 9, 8, 8],
      1: [11, 10, 9, 8],
      2: [12, 11, 10, 9],
      3: [13, 12, 11, 10],
      4: [13, 13, 12, 11],
      5: [10, 9, 8, 8],
      6: [11, 10, 9, 8],
    }),
  },
  AU915: {
    uplink: [0, 1, 2, 3, 4, 5, 6, 7],
    downlink: DOWNLINK_500KHZ,
    rx1: table({
      0: [8, 8, 8, 8, 8, 8],
      1: [9, 8, 8, 8, 8, 8],
      2: [10, 9, 8, 8, 8, 8],
      3: [11, 10, 9, 8, 8, 8],
      4: [12, 11, 10, 9, 8, 8],
      5: [13, 12, 11, 10, 9, 8],
      6: [13, 13, 12, 11, 10, 9],
      7: [9, 8, 8, 8, 8, 8],
    }),
  },
  AS923: {
    uplink: [0, 1, 2, 3, 4, 5, 6, 7],
    downlink: { ...N51, 6: 242, 7: 242 },
    downlinkDwell: { 2: 11, 3: 53, 4: 125, 5: 242, 6: 242, 7: 242 },
    // RX1 = min(5, max(minDR, uplink - effective offset)); offsets 6 and 7 raise the rate by 1 and 2.
    rx1: (uplink, offset, dwell) => {
      if (offset > 7) return undefined;
      const effective = offset <= 5 ? offset : 5 - offset;
      return Math.min(5, Math.max(dwell ? 2 : 0, uplink - effective));
    },
  },
  IN865: {
    // DR6 is reserved in IN865; DR7 is FSK.
    uplink: [0, 1, 2, 3, 4, 5, 7],
    downlink: { ...N51, 7: 242 },
    rx1: table({
      0: [0, 0, 0, 0, 0, 0, 1, 2],
      1: [1, 0, 0, 0, 0, 0, 2, 3],
      2: [2, 1, 0, 0, 0, 0, 3, 4],
      3: [3, 2, 1, 0, 0, 0, 4, 5],
      4: [4, 3, 2, 1, 0, 0, 5, 5],
      5: [5, 4, 3, 2, 1, 0, 5, 5],
      7: [7, 6, 5, 4, 3, 2, 7, 7],
    }),
  },
};

/**
 * The data rate a class A device receives its RX1 downlink on after an uplink at `uplinkDataRate`.
 * @throws ValidationError for an unknown region, data rate or offset
 */
export function rx1DownlinkDataRate(
  region: string,
  uplinkDataRate: number,
  rx1DrOffset = 0,
  options: RegionOptions = {},
): number {
  const plan = regionTable(region);
  if (!plan.uplink.includes(uplinkDataRate)) throw unknownDataRate(region, uplinkDataRate);
  const dr = plan.rx1(uplinkDataRate, rx1DrOffset, options.dwellTime400ms ?? false);
  if (dr === undefined)
    throw new ValidationError(`RX1 data rate offset ${rx1DrOffset} is not defined in ${region}`);
  return dr;
}

/**
 * The largest FRMPayload (application payload N, FOpts empty) a downlink at `dataRate` carries in
 * `region`. `dataRate` is the downlink's data rate; an uplink-only rate (US915 DR0-6, AU915 DR0-7,
 * EU868 LR-FHSS DR8-11) stands for the device's uplink rate and gives the size of its RX1
 * downlink at offset 0, which is what a class A device at that rate receives by default (RX2,
 * e.g. EU868's DR0, may carry less). MAC commands piggy-backed in FOpts take from the same room.
 * @throws ValidationError for an unknown region or data rate
 */
export function maxDownlinkPayloadBytes(
  region: string,
  dataRate: number,
  options: RegionOptions = {},
): number {
  const plan = regionTable(region);
  const dwell = options.dwellTime400ms ?? false;
  const sizes = dwell && plan.downlinkDwell ? plan.downlinkDwell : plan.downlink;
  const direct = sizes[dataRate];
  if (direct !== undefined) return direct;
  if (dataRate in plan.downlink)
    throw new ValidationError(`DR${dataRate} carries no downlink in ${region} with the 400 ms dwell time`);
  const rx1 = rx1DownlinkDataRate(region, dataRate, 0, options);
  const size = sizes[rx1];
  if (size === undefined) throw unknownDataRate(region, rx1);
  return size;
}

/**
 * Null when a LoRaWAN command of `bytes` (or that many bytes) fits a downlink at `dataRate` (see
 * {@link maxDownlinkPayloadBytes}); otherwise the reason, e.g. "the command needs 64 bytes but DR0
 * in EU868 carries at most 51".
 * @throws ValidationError for an unknown region or data rate
 */
export function lorawanCommandFits(
  region: string,
  dataRate: number,
  bytes: Uint8Array | number,
  options: RegionOptions = {},
): string | null {
  const size = typeof bytes === 'number' ? bytes : bytes.length;
  const max = maxDownlinkPayloadBytes(region, dataRate, options);
  return size <= max
    ? null
    : `the command needs ${size} bytes but DR${dataRate} in ${region} carries at most ${max}`;
}

function regionTable(region: string): (typeof REGIONS)[LorawanRegion] {
  if (!(LORAWAN_REGIONS as readonly string[]).includes(region)) {
    throw new ValidationError(
      `unknown LoRaWAN region ${JSON.stringify(region)} (known: ${LORAWAN_REGIONS.join(', ')})`,
      {
        issues: [{ path: 'region', message: `one of ${LORAWAN_REGIONS.join(', ')}` }],
      },
    );
  }
  return REGIONS[region as LorawanRegion];
}

function unknownDataRate(region: string, dataRate: number): ValidationError {
  return new ValidationError(`DR${dataRate} is not a data rate of ${region}`, {
    issues: [{ path: 'dataRate', message: `DR${dataRate} is not defined in ${region}` }],
  });
}
