import { ValidationError } from '@fleet/core';
import { MAX_FRAGMENTS_PER_SESSION } from '../fec/encoder';

/**
 * Chance that a device decodes a block, and the least redundancy for a target chance.
 *
 * Model: each fragment is lost independently with probability p. With L uncoded fragments lost and
 * C coded ones received, decoding works when the C parity rows, restricted to the L lost columns,
 * have rank L. A row of FragmentationMatrix 0 covers a given column with probability
 * q = 1 − (1 − 1/M)^(M/2) ≈ 0.39; treating the rows as random with that density, C rows have rank
 * L with probability ≈ ∏_{j=C−L+1..C} (1 − (1 − q)^j), the formula for uniform random rows with ½
 * replaced by 1 − q. That is exact for L = 1 and errs on the safe side for larger L (random rows
 * of density ½ do better), so recommendations lean high.
 */
export interface DecodeOdds {
  readonly uncodedFragments: number;
  readonly codedFragments: number;
  /** Probability that one fragment is lost, 0 ≤ p < 1. */
  readonly lossRate: number;
}

export function decodeSuccessProbability({
  uncodedFragments: m,
  codedFragments: r,
  lossRate: p,
}: DecodeOdds): number {
  checkInputs(m, p);
  if (!Number.isInteger(r) || r < 0)
    throw new ValidationError(`coded fragments ${r} is not a whole number ≥ 0`);
  const lost = binomialPmf(m, p);
  const received = binomialPmf(r, 1 - p);
  const rankOdds = fullRankOdds(m);
  let success = 0;
  for (const [l, pl] of lost) {
    if (l === 0) {
      success += pl;
      continue;
    }
    for (const [c, pc] of received) if (c >= l) success += pl * pc * rankOdds(c, l);
  }
  return Math.min(1, success);
}

export interface RedundancyAdvice {
  readonly codedFragments: number;
  /** codedFragments ÷ uncodedFragments. */
  readonly ratio: number;
  readonly successProbability: number;
}

/** The fewest coded fragments giving at least `targetSuccess`, or undefined if no session can hold them. */
export function recommendRedundancy(request: {
  readonly uncodedFragments: number;
  readonly lossRate: number;
  /** E.g. 0.99: the share of devices expected to decode after one session. */
  readonly targetSuccess: number;
}): RedundancyAdvice | undefined {
  const { uncodedFragments: m, lossRate, targetSuccess } = request;
  checkInputs(m, lossRate);
  if (!(targetSuccess > 0 && targetSuccess < 1))
    throw new ValidationError(`target success ${targetSuccess} is not in (0, 1)`);
  const odds = (codedFragments: number) =>
    decodeSuccessProbability({ uncodedFragments: m, codedFragments, lossRate });
  let high = MAX_FRAGMENTS_PER_SESSION - m;
  if (high < 0 || odds(high) < targetSuccess) return undefined;
  let low = 0;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (odds(middle) >= targetSuccess) high = middle;
    else low = middle + 1;
  }
  return { codedFragments: low, ratio: low / m, successProbability: odds(low) };
}

function checkInputs(m: number, p: number): void {
  if (!Number.isInteger(m) || m < 1)
    throw new ValidationError(`uncoded fragments ${m} is not a whole number ≥ 1`);
  if (!(p >= 0 && p < 1)) throw new ValidationError(`loss rate ${p} is not in [0, 1)`);
}

/** Non-negligible terms (> 1e-15) of Binomial(n, p), as [k, probability]. */
function binomialPmf(n: number, p: number): [number, number][] {
  if (p === 0) return [[0, 1]];
  if (p === 1) return [[n, 1]];
  const logFactorial = (k: number) => {
    let sum = 0;
    for (let i = 2; i <= k; i += 1) sum += Math.log(i);
    return sum;
  };
  // Walk out from the mode with the ratio P(k+1)/P(k) = (n−k)/(k+1) · p/(1−p): no factorials past the first.
  const mode = Math.min(n, Math.floor((n + 1) * p));
  const atMode = Math.exp(
    logFactorial(n) -
      logFactorial(mode) -
      logFactorial(n - mode) +
      mode * Math.log(p) +
      (n - mode) * Math.log1p(-p),
  );
  const terms: [number, number][] = [[mode, atMode]];
  for (let k = mode, value = atMode; k < n && value > 1e-15; k += 1) {
    value *= ((n - k) / (k + 1)) * (p / (1 - p));
    terms.push([k + 1, value]);
  }
  for (let k = mode, value = atMode; k > 0 && value > 1e-15; k -= 1) {
    value *= (k / (n - k + 1)) * ((1 - p) / p);
    terms.push([k - 1, value]);
  }
  return terms;
}

/** (C, L) ↦ ∏_{j=C−L+1..C} (1 − ρ^j), ρ = 1 − q: the odds that C rows of density q have rank L. */
function fullRankOdds(m: number): (rows: number, unknowns: number) => number {
  const density = 1 - (1 - 1 / m) ** (m >>> 1);
  const rho = 1 - density;
  const table: number[] = [];
  let product = 1;
  for (let j = 400; j >= 1; j -= 1) {
    product *= 1 - rho ** j;
    table[j - 1] = product;
  }
  // table[d] = ∏_{j=d+1..400}, so the finite product is table[C − L] / table[C].
  const tail = (d: number) => (d >= 399 ? 1 : table[d]!);
  return (rows, unknowns) => {
    const whole = tail(rows);
    return whole === 0 ? 0 : tail(rows - unknowns) / whole;
  };
}
