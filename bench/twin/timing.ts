/** Timing helpers shared by the twin benchmark's parts. */

export interface Latency {
  readonly runs: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

export const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

export const round = (value: number, digits = 1): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;
}

/** p50/p95/max in milliseconds of the given durations (ms). */
export function latencyOf(durations: readonly number[]): Latency {
  const sorted = [...durations].sort((a, b) => a - b);
  return {
    runs: sorted.length,
    p50: round(percentile(sorted, 0.5)),
    p95: round(percentile(sorted, 0.95)),
    max: round(sorted.at(-1) ?? NaN),
  };
}

/** Runs `work` `warmup` times untimed, then `runs` times timed, one after the other. */
export async function latency(runs: number, work: () => Promise<unknown>, warmup = 3): Promise<Latency> {
  for (let i = 0; i < warmup; i++) await work();
  const durations: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await work();
    durations.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return latencyOf(durations);
}

export const log = (line: string): void => void process.stderr.write(`${line}\n`);

export const fmt = (l: Latency): string =>
  `p50 ${l.p50.toFixed(1).padStart(7)} p95 ${l.p95.toFixed(1).padStart(7)} ms`;
