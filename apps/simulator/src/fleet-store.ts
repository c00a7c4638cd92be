import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';

const storedDevice = z.object({
  serial: z.string(),
  kind: z.enum(['always-on', 'sleepy', 'lorawan']),
  model: z.string(),
  devEui: z.string().optional(),
  wakeIntervalSeconds: z.number().int().positive().optional(),
  /** The broker password; shown once by device-twin, so this file is the only copy. */
  secret: z.string().optional(),
});
const fleetFile = z.object({ fleet: z.string(), devices: z.record(z.string(), storedDevice) });

export type StoredDevice = z.infer<typeof storedDevice>;
export type FleetFile = z.infer<typeof fleetFile>;

/** The secrets of a simulated fleet (`.local/simulator/<fleet>.json`, git-ignored), by device id. */
export async function readFleetFile(path: string, fleet: string): Promise<FleetFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { fleet, devices: {} };
    throw error;
  }
  const parsed = fleetFile.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${path} is not a simulator fleet file: ${parsed.error.message}`);
  return parsed.data;
}

/** Written whole and renamed into place, owner-only: a crash never leaves half a file of secrets. */
export async function writeFleetFile(path: string, file: FleetFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(file, null, 1)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}
