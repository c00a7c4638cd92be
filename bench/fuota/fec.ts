import {
  decodeSuccessProbability,
  encodeBlock,
  FragmentDecoder,
  EU868_DATA_RATES,
  planMulticast,
  receiveWithLoss,
  seededRandom,
  codedFragmentsFor,
  parityRowIndices,
  type EncodedBlock,
} from '@fleet/lorawan-fuota';

/**
 * The FEC part of `npm run bench -- fuota`: TS004 encoder and decoder throughput against plain
 * XOR and memcpy over the same bytes, decode success against loss and redundancy (Monte Carlo,
 * beside the planner's model), and the planner's wall-time estimate against the duty-cycle bound.
 */
const IMAGE_BYTES = Number(process.env.FUOTA_BENCH_IMAGE_BYTES ?? 100 * 1024);
const FRAGMENT_SIZES = [50, 100, 200];
const REDUNDANCIES = [0.1, 0.2, 0.5];
const LOSS_RATES = [0.01, 0.05, 0.1, 0.2];
const TRIALS = Number(process.env.FUOTA_BENCH_TRIALS ?? 200);
/** Monte Carlo block: the 100 KiB image in 200-byte fragments (DR5-sized), 512 uncoded fragments. */
const MONTE_CARLO_FRAGMENT = 200;
const MIN_MEASURE_MS = 500;

export interface FecFigures {
  readonly throughput: readonly ThroughputCell[];
  readonly baselines: { readonly memcpyMBps: number; readonly xorMBps: number };
  readonly ratios: {
    readonly encodeVsXorMin: number;
    readonly decodeVsXorMin: number;
    /** Encoder ÷ the bare XORs its parity rows need: what generating the rows and copying cost. */
    readonly encodeVsXorScheduleMin: number;
  };
  readonly decodeSuccess: readonly SuccessCell[];
  readonly issueScenario: IssueScenario;
  readonly planner: PlannerFigures;
}

interface ThroughputCell {
  readonly fragmentBytes: number;
  readonly redundancy: number;
  readonly lossRate: number;
  readonly encodeMBps: number;
  readonly decodeMBps: number;
  /** The XORs the parity rows require, done flat with precomputed rows: the encoder's floor. */
  readonly xorScheduleMBps: number;
}

interface SuccessCell {
  readonly lossRate: number;
  readonly redundancy: number;
  readonly trials: number;
  readonly decoded: number;
  readonly model: number;
}

interface IssueScenario {
  readonly devices: number;
  readonly decoded: number;
  readonly share: number;
}

interface PlannerFigures {
  readonly plans: number;
  readonly maxEstimateVsBound: number;
  readonly minEstimateVsBound: number;
  readonly image100KiBDr5At10PercentSeconds: number;
}

const round = (value: number, digits = 3) => Number(value.toFixed(digits));
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

/** Best-of timing after a warm-up run: repeats `work` for MIN_MEASURE_MS, returns the fastest run in ms. */
function fastest(work: () => void): number {
  work();
  let best = Infinity;
  const started = performance.now();
  do {
    const start = performance.now();
    work();
    best = Math.min(best, performance.now() - start);
  } while (performance.now() - started < MIN_MEASURE_MS);
  return best;
}

function randomImage(bytes: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  return Uint8Array.from({ length: bytes }, () => Math.floor(random() * 256));
}

function baselines(image: Uint8Array): FecFigures['baselines'] {
  const copy = new Uint8Array(image.length);
  const words = new Uint32Array(image.buffer, image.byteOffset, image.length >>> 2);
  const accumulator = new Uint32Array(16);
  const memcpyMs = fastest(() => copy.set(image));
  const xorMs = fastest(() => {
    for (let i = 0; i < words.length; i += 16)
      for (let k = 0; k < 16; k += 1) accumulator[k]! ^= words[i + k] ?? 0;
  });
  return { memcpyMBps: round(mbps(image.length, memcpyMs), 1), xorMBps: round(mbps(image.length, xorMs), 1) };
}

function xorScheduleMs(encoded: EncodedBlock): number {
  const m = encoded.uncodedFragments;
  const words = (encoded.fragmentBytes + 3) >>> 2;
  const store = new Uint32Array((m + encoded.codedFragments) * words);
  const rows = Array.from({ length: encoded.codedFragments }, (_, n) => parityRowIndices(n + 1, m));
  return fastest(() => {
    rows.forEach((row, n) => {
      const target = (m + n) * words;
      for (const j of row) for (let w = 0; w < words; w += 1) store[target + w]! ^= store[j * words + w]!;
    });
  });
}

function throughput(image: Uint8Array, log: (line: string) => void): ThroughputCell[] {
  const cells: ThroughputCell[] = [];
  for (const fragmentBytes of FRAGMENT_SIZES) {
    for (const redundancy of REDUNDANCIES) {
      const uncoded = Math.ceil(image.length / fragmentBytes);
      const coded = codedFragmentsFor(uncoded, redundancy);
      const encodeMs = fastest(() => encodeBlock(image, fragmentBytes, coded));
      const encoded = encodeBlock(image, fragmentBytes, coded);
      // Lose half the redundancy's worth, so the decoder does real elimination and still finishes.
      const lossRate = redundancy / 2;
      const random = seededRandom(fragmentBytes * 1000 + redundancy * 100);
      const arrivals = encoded.fragments
        .map((fragment, i) => ({ n: i + 1, fragment }))
        .filter(() => random() >= lossRate);
      let done = true;
      const decodeMs = fastest(() => {
        const decoder = new FragmentDecoder(encoded);
        for (const { n, fragment } of arrivals) decoder.push(n, fragment);
        done &&= decoder.status().done;
      });
      if (!done)
        throw new Error(
          `decoder did not finish at ${fragmentBytes} B, redundancy ${redundancy}, loss ${lossRate}`,
        );
      const cell = {
        fragmentBytes,
        redundancy,
        lossRate,
        encodeMBps: round(mbps(image.length, encodeMs), 2),
        decodeMBps: round(mbps(image.length, decodeMs), 2),
        xorScheduleMBps: round(mbps(image.length, xorScheduleMs(encoded)), 2),
      };
      log(
        `  ${String(fragmentBytes).padStart(3)} B fragments, ${redundancy * 100} % redundancy: encode ${cell.encodeMBps} MB/s ` +
          `(XOR schedule alone ${cell.xorScheduleMBps} MB/s), decode at ${lossRate * 100} % loss ${cell.decodeMBps} MB/s`,
      );
      cells.push(cell);
    }
  }
  return cells;
}

function decodeSuccess(image: Uint8Array, log: (line: string) => void): SuccessCell[] {
  const cells: SuccessCell[] = [];
  for (const redundancy of REDUNDANCIES) {
    const uncoded = Math.ceil(image.length / MONTE_CARLO_FRAGMENT);
    const coded = codedFragmentsFor(uncoded, redundancy);
    const encoded = encodeBlock(image, MONTE_CARLO_FRAGMENT, coded);
    for (const lossRate of LOSS_RATES) {
      const random = seededRandom(Math.round(redundancy * 1000 + lossRate * 100_000));
      let decoded = 0;
      for (let trial = 0; trial < TRIALS; trial += 1)
        if (receiveWithLoss(encoded, lossRate, random).status.done) decoded += 1;
      const model = decodeSuccessProbability({ uncodedFragments: uncoded, codedFragments: coded, lossRate });
      cells.push({ lossRate, redundancy, trials: TRIALS, decoded, model: round(model, 4) });
    }
  }
  log(`  decoded / ${TRIALS} devices (model's probability), ${MONTE_CARLO_FRAGMENT} B fragments:`);
  log(`  loss      ${REDUNDANCIES.map((r) => `${r * 100} % redundancy`.padEnd(24)).join('')}`);
  for (const lossRate of LOSS_RATES) {
    const row = cells
      .filter((c) => c.lossRate === lossRate)
      .map((c) => `${c.decoded} (${c.model})`.padEnd(24))
      .join('');
    log(`  ${`${lossRate * 100} %`.padEnd(9)} ${row}`);
  }
  return cells;
}

/** The acceptance scenario of issue 6: 200 devices, 100 KiB, 10 % redundancy, 5 % loss each. */
function issueScenario(image: Uint8Array, log: (line: string) => void): IssueScenario {
  const devices = 200;
  const encoded = encodeBlock(
    image,
    MONTE_CARLO_FRAGMENT,
    codedFragmentsFor(Math.ceil(image.length / MONTE_CARLO_FRAGMENT), 0.1),
  );
  const random = seededRandom(6);
  let decoded = 0;
  for (let device = 0; device < devices; device += 1) {
    const reception = receiveWithLoss(encoded, 0.05, random);
    if (reception.block && Buffer.compare(reception.block, image) === 0) decoded += 1;
  }
  log(
    `  issue scenario: ${decoded} of ${devices} devices rebuilt the exact 100 KiB image (10 % redundancy, 5 % loss)`,
  );
  return { devices, decoded, share: round(decoded / devices, 4) };
}

function planner(log: (line: string) => void): PlannerFigures {
  const ratios: number[] = [];
  for (const { dataRate, maxFrmPayloadBytes } of EU868_DATA_RATES) {
    for (const fragmentBytes of [...FRAGMENT_SIZES, maxFrmPayloadBytes - 3].filter(
      (size) => size <= maxFrmPayloadBytes - 3,
    )) {
      for (const ratio of REDUNDANCIES) {
        for (const dutyCycle of [0.001, 0.01, 0.1]) {
          const plan = planMulticast({
            imageBytes: IMAGE_BYTES,
            fragmentBytes,
            redundancy: { ratio },
            dataRate,
            dutyCycle,
            maxSessionSeconds: 2 ** 15,
          });
          ratios.push(plan.timing!.estimatedWallTimeMs / plan.timing!.physicsBoundMs);
        }
      }
    }
  }
  const reference = planMulticast({
    imageBytes: IMAGE_BYTES,
    fragmentBytes: 200,
    redundancy: { ratio: 0.1 },
    dataRate: 5,
    frequencyHz: 869_525_000,
    maxSessionSeconds: 2 ** 15,
  });
  const figures = {
    plans: ratios.length,
    maxEstimateVsBound: round(Math.max(...ratios), 4),
    minEstimateVsBound: round(Math.min(...ratios), 4),
    image100KiBDr5At10PercentSeconds: round(reference.timing!.estimatedWallTimeMs / 1000, 1),
  };
  log(
    `  planner estimate ÷ duty-cycle bound over ${figures.plans} plans: ${figures.minEstimateVsBound}-${figures.maxEstimateVsBound} ` +
      `(target ≤ 1.05); 100 KiB at DR5, 200 B, 10 % redundancy, 869.525 MHz (10 %): ${figures.image100KiBDr5At10PercentSeconds} s`,
  );
  return figures;
}

export function runFecBenchmark(log: (line: string) => void): FecFigures {
  const image = randomImage(IMAGE_BYTES, 2026);
  log(`FEC (TS004 FragmentationMatrix 0), ${IMAGE_BYTES} byte image`);
  const base = baselines(image);
  log(`  baselines over the same bytes: memcpy ${base.memcpyMBps} MB/s, XOR ${base.xorMBps} MB/s`);
  const cells = throughput(image, log);
  const decodeSuccessCells = decodeSuccess(image, log);
  return {
    throughput: cells,
    baselines: base,
    ratios: {
      encodeVsXorMin: round(Math.min(...cells.map((c) => c.encodeMBps)) / base.xorMBps, 5),
      decodeVsXorMin: round(Math.min(...cells.map((c) => c.decodeMBps)) / base.xorMBps, 5),
      encodeVsXorScheduleMin: round(Math.min(...cells.map((c) => c.encodeMBps / c.xorScheduleMBps)), 3),
    },
    decodeSuccess: decodeSuccessCells,
    issueScenario: issueScenario(image, log),
    planner: planner(log),
  };
}
