import { ValidationError } from '@fleet/core';
import { loraAirtimeMs, lorawanPhyPayloadBytes } from '@fleet/device-protocol';
import { codedFragmentsFor, fragmentLayout } from '../fec/encoder';
import { DATA_FRAGMENT_HEADER_BYTES } from '../packages/fragmentation';
import { sessionTimeOutFor } from '../packages/multicast-setup';
import { eu868DataRate, eu868SubBand } from './eu868';

/** TS005's SessionTimeOut is 4 bits: a multicast session lasts at most 2^15 s. */
export const MAX_MULTICAST_SESSION_SECONDS = 2 ** 15;

export interface MulticastPlanRequest {
  readonly imageBytes: number;
  readonly fragmentBytes: number;
  /** Coded fragments, as a count or as a ratio of the uncoded ones (0.1 = 10 %). */
  readonly redundancy: { readonly codedFragments: number } | { readonly ratio: number };
  /** EU868 data rate of the multicast downlinks (DR0-DR6). */
  readonly dataRate: number;
  /** Downlink frequency; picks the sub-band's duty cycle unless `dutyCycle` is given. */
  readonly frequencyHz?: number;
  /** Fraction of time on air allowed (0.01 = 1 %). Default: the sub-band's, else 1 %. */
  readonly dutyCycle?: number;
  /** Longest the multicast session may last, in seconds (at most 2^15). */
  readonly maxSessionSeconds: number;
  /** Extra time the network server leaves between two frames, on top of air time. Default 0. */
  readonly interFrameGapMs?: number;
}

export interface MulticastPlanTiming {
  /** Time on air of one DataFragment downlink (no CRC, explicit header, CR 4/5, 8-symbol preamble). */
  readonly airtimePerFragmentMs: number;
  readonly totalAirtimeMs: number;
  /** Total air time ÷ duty cycle: no transmitter keeping the duty cycle can do better over the session. */
  readonly physicsBoundMs: number;
  /** Frames back to back, each followed by its duty-cycle off-time (air × (1/dc − 1)) but the last. */
  readonly estimatedWallTimeMs: number;
  /** TS005 McClassCSessionReq SessionTimeOut covering the estimate (2^t s), when one does. */
  readonly sessionTimeOut?: number;
}

export interface MulticastPlan {
  readonly feasible: boolean;
  /** Why the plan is refused, with its numbers; empty when feasible. */
  readonly reasons: readonly string[];
  readonly uncodedFragments: number;
  readonly codedFragments: number;
  readonly totalFragments: number;
  readonly fragmentBytes: number;
  readonly padding: number;
  readonly dataRate: number;
  readonly spreadingFactor: number;
  readonly bandwidthHz: number;
  /** Largest fragment the data rate carries: its FRMPayload limit less the DataFragment header. */
  readonly maxFragmentBytes: number;
  readonly phyPayloadBytes: number;
  readonly dutyCycle: number;
  readonly maxSessionSeconds: number;
  /** Absent when a fragment does not even fit a LoRa frame. */
  readonly timing?: MulticastPlanTiming;
}

const seconds = (ms: number) => `${(ms / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })} s`;
const hours = (ms: number) => `${(ms / 3_600_000).toFixed(1)} h`;
const percent = (fraction: number) => `${Number((fraction * 100).toPrecision(3))} %`;

/**
 * How long multicasting an image takes, and whether it fits a session: the fragments (uncoded and
 * coded), their air time at the data rate, and the wall time the band's duty cycle imposes.
 */
export function planMulticast(request: MulticastPlanRequest): MulticastPlan {
  const { imageBytes, fragmentBytes, maxSessionSeconds, interFrameGapMs = 0 } = request;
  if (!(maxSessionSeconds > 0) || maxSessionSeconds > MAX_MULTICAST_SESSION_SECONDS)
    throw new ValidationError(
      `maxSessionSeconds ${maxSessionSeconds} is not 1-${MAX_MULTICAST_SESSION_SECONDS} (TS005 SessionTimeOut allows 2^15 s at most)`,
    );
  if (!(interFrameGapMs >= 0)) throw new ValidationError(`interFrameGapMs ${interFrameGapMs} is negative`);
  const rate = eu868DataRate(request.dataRate);
  const dutyCycle =
    request.dutyCycle ??
    (request.frequencyHz === undefined ? 0.01 : eu868SubBand(request.frequencyHz).dutyCycle);
  if (!(dutyCycle > 0 && dutyCycle <= 1))
    throw new ValidationError(`duty cycle ${dutyCycle} is not in (0, 1]`);
  const uncoded = fragmentLayout(imageBytes, fragmentBytes).uncodedFragments;
  const codedFragments =
    'ratio' in request.redundancy
      ? codedFragmentsFor(uncoded, request.redundancy.ratio)
      : request.redundancy.codedFragments;
  const layout = fragmentLayout(imageBytes, fragmentBytes, codedFragments);
  const totalFragments = layout.uncodedFragments + codedFragments;
  const maxFragmentBytes = rate.maxFrmPayloadBytes - DATA_FRAGMENT_HEADER_BYTES;
  const phyPayloadBytes = lorawanPhyPayloadBytes(DATA_FRAGMENT_HEADER_BYTES + fragmentBytes);
  const base = {
    uncodedFragments: layout.uncodedFragments,
    codedFragments,
    totalFragments,
    fragmentBytes,
    padding: layout.padding,
    dataRate: rate.dataRate,
    spreadingFactor: rate.spreadingFactor,
    bandwidthHz: rate.bandwidthHz,
    maxFragmentBytes,
    phyPayloadBytes,
    dutyCycle,
    maxSessionSeconds,
  };
  const reasons: string[] = [];
  const label = `DR${rate.dataRate} (SF${rate.spreadingFactor}/${rate.bandwidthHz / 1000} kHz)`;
  if (fragmentBytes > maxFragmentBytes) {
    reasons.push(
      `fragments of ${fragmentBytes} bytes do not fit ${label}: its largest FRMPayload is ${rate.maxFrmPayloadBytes} bytes, ` +
        `${DATA_FRAGMENT_HEADER_BYTES} of which the DataFragment header takes, so fragments can be at most ${maxFragmentBytes} bytes`,
    );
  }
  if (phyPayloadBytes > 255) return { ...base, feasible: false, reasons };

  const airtimePerFragmentMs = loraAirtimeMs({
    spreadingFactor: rate.spreadingFactor,
    bandwidthHz: rate.bandwidthHz,
    payloadBytes: phyPayloadBytes,
    crc: false,
  });
  const totalAirtimeMs = airtimePerFragmentMs * totalFragments;
  const physicsBoundMs = totalAirtimeMs / dutyCycle;
  const slotMs = Math.max(airtimePerFragmentMs / dutyCycle, airtimePerFragmentMs + interFrameGapMs);
  const estimatedWallTimeMs = (totalFragments - 1) * slotMs + airtimePerFragmentMs;
  const sessionTimeOut = sessionTimeOutFor(estimatedWallTimeMs / 1000);
  if (estimatedWallTimeMs > maxSessionSeconds * 1000) {
    reasons.push(
      `${totalFragments} fragments (${layout.uncodedFragments} uncoded + ${codedFragments} coded) × ` +
        `${airtimePerFragmentMs.toFixed(1)} ms at ${label} = ${seconds(totalAirtimeMs)} on air; at a ${percent(dutyCycle)} ` +
        `duty cycle that takes ${seconds(estimatedWallTimeMs)} (${hours(estimatedWallTimeMs)}), over the ` +
        `${seconds(maxSessionSeconds * 1000)} (${hours(maxSessionSeconds * 1000)}) maximum multicast session; ` +
        'use a faster data rate, a sub-band with a higher duty cycle (869.4-869.65 MHz allows 10 %), larger fragments, ' +
        'less redundancy or a smaller image',
    );
  }
  return {
    ...base,
    feasible: reasons.length === 0,
    reasons,
    timing: {
      airtimePerFragmentMs,
      totalAirtimeMs,
      physicsBoundMs,
      estimatedWallTimeMs,
      ...(sessionTimeOut === undefined ? {} : { sessionTimeOut }),
    },
  };
}
