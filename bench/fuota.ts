import { runFecBenchmark } from './fuota/fec';

/**
 * `npm run bench -- fuota`: firmware updates over the air. Each phase returns its figures under
 * its own key of the final JSON line; a later phase (campaign throughput through the orchestrator
 * with simulated devices) adds itself to PHASES. `--only fec` runs one phase.
 */
interface Phase {
  readonly name: string;
  run(log: (line: string) => void): Promise<Record<string, unknown>> | Record<string, unknown>;
}

const PHASES: readonly Phase[] = [{ name: 'fec', run: (log) => ({ ...runFecBenchmark(log) }) }];

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
