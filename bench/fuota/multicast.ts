import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FuotaMulticastHarness } from '../../test/support/fuota-multicast-harness';
import { ensureBuilt } from '../twin/service';

const ROOT = resolve(__dirname, '..', '..');
const DEVICES = Number(process.env['FUOTA_BENCH_MULTICAST_DEVICES'] ?? 200);
const IMAGE_BYTES = Number(process.env['FUOTA_BENCH_IMAGE_BYTES'] ?? 102_400);
const LOSS = Number(process.env['FUOTA_BENCH_MULTICAST_LOSS'] ?? 0.05);
const REDUNDANCY_PERCENT = 10;
const FRAGMENT_INTERVAL_MS = 10;
const TARGET_FIRST_PASS = 0.99;

export interface MulticastFigures {
  readonly devices: number;
  readonly imageBytes: number;
  readonly lossRate: number;
  readonly fragments: { readonly uncoded: number; readonly coded: number; readonly bytes: number };
  /** POST /multicast-sessions → finished: setup window, multicast, status windows, repairs, verification. */
  readonly sessionWallMs: number;
  /** SessionTime → finished: the part the radio would take, at the simulation's pacing. */
  readonly multicastPhaseMs: number;
  readonly fragmentIntervalMs: number;
  /** The planner's figures for the same first pass on air (EU868, 869.525 MHz, 10 % duty cycle). */
  readonly plannerEstimatedWallMs: number;
  readonly plannerPhysicsBoundMs: number;
  readonly plannerAirtimeMs: number;
  /** How much faster the simulation paces than the radio could (planner estimate ÷ multicast phase). */
  readonly speedUpOverRadio: number;
  readonly verified: number;
  readonly failed: number;
  readonly verifiedAfterFirstPass: number;
  readonly firstPassShare: number;
  readonly multicastRounds: number;
  readonly repairedByMulticast: number;
  readonly repairedByUnicast: number;
  readonly unicastRepairs: number;
  readonly target: { readonly firstPassShare: number };
  readonly met: boolean;
}

interface View {
  status: string;
  round: number;
  group: { sessionStartsAt: string };
  plan: {
    uncodedFragments: number;
    codedFragments: number;
    fragmentBytes: number;
    estimatedWallTimeMs: number;
    physicsBoundMs: number;
    totalAirtimeMs: number;
  };
  summary: {
    byPhase: Record<string, number>;
    firstPass: number;
    repairedByMulticast: number;
    repairedByUnicast: number;
    unicastRepairs: number;
  };
}

/**
 * `bench/fuota.ts` phase `multicast`: one LoRaWAN multicast session end to end, as the e2e test runs
 * it (fuota-orchestrator from dist, device-twin, the project's Mosquitto, simulated network server
 * and devices): DEVICES devices each losing LOSS of the fragments of an IMAGE_BYTES signed image
 * at 10 % redundancy, fragments paced every 10 ms. Figures: the simulated session's wall time
 * beside the planner's physical estimate of the same pass on air, devices verified after one
 * pass (target ≥ 99 %), and the repairs the rest needed.
 */
export async function runMulticastBenchmark(log: (line: string) => void): Promise<MulticastFigures> {
  ensureBuilt();
  const entry = join(ROOT, 'dist/apps/fuota-orchestrator/src/main.js');
  if (
    !existsSync(entry) ||
    statSync(entry).mtimeMs < statSync(join(ROOT, 'apps/fuota-orchestrator/src/main.ts')).mtimeMs
  )
    throw new Error(`${entry} is missing or stale: run npm run build`);
  log(
    `multicast session: ${DEVICES} devices, ${IMAGE_BYTES} byte image, ${LOSS * 100} % loss, ${REDUNDANCY_PERCENT} % redundancy`,
  );
  const harness = new FuotaMulticastHarness();
  try {
    await harness.start({ FUOTA_MULTICAST_FRAGMENT_INTERVAL_MS: String(FRAGMENT_INTERVAL_MS) });
    const [devices, artifactId] = await Promise.all([
      harness.provisionLorawan(DEVICES),
      harness.publishArtifact('9.9.9', IMAGE_BYTES),
    ]);
    await harness.simulate(devices, {
      lorawanFuota: { fragmentLoss: LOSS, clockSkewSeconds: 2, applyDelayMs: 200 },
    });
    const startedAt = Date.now();
    const created = await harness.createSession<{ sessionId: string; message?: string }>({
      devices: devices.map((d) => d.deviceId),
      artifactId,
      dataRate: 5,
      redundancyPercent: REDUNDANCY_PERCENT,
      setupWindowSeconds: 6,
    });
    if (created.status !== 201)
      throw new Error(`session refused (${created.status}): ${created.body.message}`);
    const view = await harness.until(
      async () => {
        const { body } = await harness.api<View>('GET', `/multicast-sessions/${created.body.sessionId}`);
        return body.status === 'finished' ? body : undefined;
      },
      300_000,
      'the multicast session to finish',
    );
    const finishedAt = Date.now();
    const multicastPhaseMs = finishedAt - Date.parse(view.group.sessionStartsAt);
    const { plan, summary } = view;
    const verified = summary.byPhase['verified'] ?? 0;
    const figures: MulticastFigures = {
      devices: DEVICES,
      imageBytes: IMAGE_BYTES,
      lossRate: LOSS,
      fragments: { uncoded: plan.uncodedFragments, coded: plan.codedFragments, bytes: plan.fragmentBytes },
      sessionWallMs: finishedAt - startedAt,
      multicastPhaseMs,
      fragmentIntervalMs: FRAGMENT_INTERVAL_MS,
      plannerEstimatedWallMs: plan.estimatedWallTimeMs,
      plannerPhysicsBoundMs: plan.physicsBoundMs,
      plannerAirtimeMs: plan.totalAirtimeMs,
      speedUpOverRadio: Math.round((plan.estimatedWallTimeMs / multicastPhaseMs) * 10) / 10,
      verified,
      failed: summary.byPhase['failed'] ?? 0,
      verifiedAfterFirstPass: summary.firstPass,
      firstPassShare: summary.firstPass / DEVICES,
      multicastRounds: view.round,
      repairedByMulticast: summary.repairedByMulticast,
      repairedByUnicast: summary.repairedByUnicast,
      unicastRepairs: summary.unicastRepairs,
      target: { firstPassShare: TARGET_FIRST_PASS },
      met: summary.firstPass >= TARGET_FIRST_PASS * DEVICES && verified === DEVICES,
    };
    log(
      `  simulated session ${(figures.sessionWallMs / 1000).toFixed(1)} s (multicast phase ${(multicastPhaseMs / 1000).toFixed(1)} s) ` +
        `vs planner ${(plan.estimatedWallTimeMs / 1000).toFixed(0)} s on air (bound ${(plan.physicsBoundMs / 1000).toFixed(0)} s)`,
    );
    log(
      `  verified ${verified}/${DEVICES}, after the first pass ${summary.firstPass} (${(figures.firstPassShare * 100).toFixed(1)} %), ` +
        `rounds ${view.round}, repaired by multicast ${summary.repairedByMulticast}, by unicast ${summary.repairedByUnicast}`,
    );
    return figures;
  } finally {
    await harness.stop();
  }
}
