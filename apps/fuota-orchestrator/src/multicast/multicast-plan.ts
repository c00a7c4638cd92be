import { ValidationError } from '@fleet/core';
import {
  DATA_FRAGMENT_HEADER_BYTES,
  eu868DataRate,
  fragmentLayout,
  planMulticast,
  recommendRedundancy,
} from '@fleet/lorawan-fuota';

/** RX2 default of EU868, in the 10 % duty-cycle sub-band: where class C multicast usually goes. */
export const DEFAULT_MULTICAST_FREQUENCY_HZ = 869_525_000;
/** Share of devices that should decode after the first pass when the redundancy is advised. */
export const ADVISED_FIRST_PASS_SUCCESS = 0.99;

export interface MulticastPlanInput {
  /** Size of the data block: the whole signed package. */
  readonly blockBytes: number;
  readonly dataRate: number;
  readonly frequencyHz: number;
  /** Coded fragments as a percentage of the uncoded ones; null: advised from `expectedLossPercent`. */
  readonly redundancyPercent: number | null;
  readonly expectedLossPercent: number;
  /** Null: the largest fragment the data rate carries. */
  readonly fragmentBytes: number | null;
  readonly maxSessionSeconds: number;
}

/** What a session sends and how long the radio needs for it. */
export interface SessionPlan {
  readonly dataRate: number;
  readonly spreadingFactor: number;
  readonly bandwidthHz: number;
  readonly frequencyHz: number;
  readonly dutyCycle: number;
  readonly fragmentBytes: number;
  readonly uncodedFragments: number;
  readonly codedFragments: number;
  readonly padding: number;
  readonly redundancyPercent: number;
  /** The redundancy came from `recommendRedundancy` rather than from the request. */
  readonly redundancyAdvised: boolean;
  readonly airtimePerFragmentMs: number;
  readonly totalAirtimeMs: number;
  /** Total air time ÷ duty cycle. */
  readonly physicsBoundMs: number;
  /** The planner's wall time of the first pass: what the session would take on air. */
  readonly estimatedWallTimeMs: number;
  readonly maxSessionSeconds: number;
}

export type PlanOutcome =
  | { readonly feasible: true; readonly plan: SessionPlan }
  | { readonly feasible: false; readonly reasons: readonly string[] };

/**
 * The plan of a multicast session: fragments as large as the data rate carries (unless asked
 * otherwise), the requested redundancy or the least one giving 99 % of devices the block after one
 * pass at the expected loss, and the planner's air time. Refused, with the planner's reasons, when
 * it does not fit the maximum session.
 * @throws ValidationError for inputs out of range (unknown data rate, frequency outside EU868...)
 */
export function planSession(input: MulticastPlanInput): PlanOutcome {
  const rate = eu868DataRate(input.dataRate);
  const largest = rate.maxFrmPayloadBytes - DATA_FRAGMENT_HEADER_BYTES;
  const fragmentBytes = input.fragmentBytes ?? largest;
  if (fragmentBytes > largest)
    return {
      feasible: false,
      reasons: [
        `fragments of ${fragmentBytes} bytes do not fit DR${rate.dataRate}: at most ${largest} bytes ` +
          `(its ${rate.maxFrmPayloadBytes}-byte FRMPayload less the ${DATA_FRAGMENT_HEADER_BYTES}-byte DataFragment header)`,
      ],
    };
  const { uncodedFragments } = fragmentLayout(input.blockBytes, fragmentBytes);
  const coded = codedFragmentsOf(input, uncodedFragments);
  if (!coded.ok) return { feasible: false, reasons: [coded.reason] };
  const planned = planMulticast({
    imageBytes: input.blockBytes,
    fragmentBytes,
    redundancy: { codedFragments: coded.codedFragments },
    dataRate: input.dataRate,
    frequencyHz: input.frequencyHz,
    maxSessionSeconds: input.maxSessionSeconds,
  });
  if (!planned.feasible || !planned.timing) return { feasible: false, reasons: planned.reasons };
  const { timing } = planned;
  return {
    feasible: true,
    plan: {
      dataRate: planned.dataRate,
      spreadingFactor: planned.spreadingFactor,
      bandwidthHz: planned.bandwidthHz,
      frequencyHz: input.frequencyHz,
      dutyCycle: planned.dutyCycle,
      fragmentBytes,
      uncodedFragments: planned.uncodedFragments,
      codedFragments: planned.codedFragments,
      padding: planned.padding,
      redundancyPercent: round((planned.codedFragments / planned.uncodedFragments) * 100, 2),
      redundancyAdvised: input.redundancyPercent === null,
      airtimePerFragmentMs: round(timing.airtimePerFragmentMs, 3),
      totalAirtimeMs: Math.round(timing.totalAirtimeMs),
      physicsBoundMs: Math.round(timing.physicsBoundMs),
      estimatedWallTimeMs: Math.round(timing.estimatedWallTimeMs),
      maxSessionSeconds: input.maxSessionSeconds,
    },
  };
}

function codedFragmentsOf(
  input: MulticastPlanInput,
  uncodedFragments: number,
): { ok: true; codedFragments: number } | { ok: false; reason: string } {
  if (input.redundancyPercent !== null) {
    if (!(input.redundancyPercent >= 0 && input.redundancyPercent <= 400))
      throw new ValidationError(`redundancyPercent ${input.redundancyPercent} is not 0-400`);
    // The epsilon keeps 10 % of 2050 = 205.00000000000003 from rounding up to 206.
    return { ok: true, codedFragments: Math.ceil((uncodedFragments * input.redundancyPercent) / 100 - 1e-9) };
  }
  const advice = recommendRedundancy({
    uncodedFragments,
    lossRate: input.expectedLossPercent / 100,
    targetSuccess: ADVISED_FIRST_PASS_SUCCESS,
  });
  if (!advice)
    return {
      ok: false,
      reason:
        `no redundancy lets ${ADVISED_FIRST_PASS_SUCCESS * 100} % of devices decode ${uncodedFragments} fragments ` +
        `at ${input.expectedLossPercent} % loss within one session; use larger fragments or a better link`,
    };
  return { ok: true, codedFragments: advice.codedFragments };
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));
