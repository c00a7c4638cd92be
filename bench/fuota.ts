import { runCampaignBenchmark } from './fuota/campaign';
import { runFecBenchmark } from './fuota/fec';
import { runMulticastBenchmark } from './fuota/multicast';

/**
 * `npm run bench -- fuota`: firmware updates over the air. Each phase returns its figures under
 * its own key of the final JSON line: `fec` (encode/decode MB/s, decode success against loss and
 * redundancy, planner estimate ÷ physics bound), `multicast` (a simulated LoRaWAN multicast session
 * beside the planner's on-air time), `campaign` (devices per minute through the whole object 5
 * flow, beside a one-read-per-device job). `--only <phase>` runs one phase.
 */
interface Phase {
  readonly name: string;
  run(log: (line: string) => void): Promise<Record<string, unknown>> | Record<string, unknown>;
}

const PHASES: readonly Phase[] = [
  { name: 'fec', run: (log) => ({ ...runFecBenchmark(log) }) },
  { name: 'multicast', run: async (log) => ({ ...(await runMulticastBenchmark(log)) }) },
  { name: 'campaign', run: async (log) => ({ ...(await runCampaignBenchmark(log)) }) },
];

export async function main(): Promise<void> {
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  const phases = PHASES.filter((phase) => only === undefined || phase.name === only);
  if (phases.length === 0) throw new Error(`--only takes one of: ${PHASES.map((p) => p.name).join(', ')}`);
  const started = performance.now();
  const figures: Record<string, unknown> = {};
  for (const phase of phases) figures[phase.name] = await phase.run((line) => console.log(line));
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(JSON.stringify({ benchmark: 'fuota', ...figures }));
}
