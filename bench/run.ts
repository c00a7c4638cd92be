import { readdirSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * `npx tsx bench/run.ts <name>` runs `bench/<name>.ts`'s exported `main()`. Every other `.ts` file
 * in this folder is a benchmark, so adding one needs no registration here.
 */
async function run(): Promise<void> {
  const available = readdirSync(__dirname)
    .filter((file) => file.endsWith('.ts') && file !== basename(__filename))
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
  const name = process.argv[2];
  if (!name || !available.includes(name)) {
    console.error(`unknown benchmark ${JSON.stringify(name ?? '')}; available: ${available.join(', ')}`);
    process.exit(1);
  }
  const benchmark = (await import(`./${name}`)) as { main?: () => Promise<void> };
  if (typeof benchmark.main !== 'function') throw new Error(`bench/${name}.ts exports no main()`);
  await benchmark.main();
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
