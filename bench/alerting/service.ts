import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { round } from '../twin/timing';

const ROOT = resolve(__dirname, '..', '..');
const ENTRY = join(ROOT, 'dist/apps/alerting/src/main.js');

/** Rebuilds `dist/` when a source of alerting or of a library is newer than its compiled entry. */
export function ensureAlertingBuilt(log: (line: string) => void): void {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return Math.max(latest, newest(path));
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')
        ? Math.max(latest, statSync(path).mtimeMs)
        : latest;
    }, 0);
  const sources = Math.max(
    newest(join(ROOT, 'apps/alerting/src')),
    ...readdirSync(join(ROOT, 'libs')).map((lib) => newest(join(ROOT, 'libs', lib, 'src'))),
  );
  let built = 0;
  try {
    built = statSync(ENTRY).mtimeMs;
  } catch {
    // not built yet
  }
  if (built >= sources) return;
  log('npm run build (dist/ is older than the sources)...');
  const build = spawnSync('npm', ['run', '--silent', 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (build.status !== 0) throw new Error('npm run build failed');
}

/** Peak resident memory of a process (VmHWM), in MB. */
export function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return round(kb / 1024);
}

/** A counter's value on a service's /metrics (summed over label sets). */
export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
