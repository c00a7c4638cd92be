import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapConcurrently } from '@fleet/core';
import { DeviceTwinHttp, DeviceTwinError, type DeviceTwinHttpOptions } from './device-twin-http';
import {
  LORAWAN_MODEL,
  planFleet,
  provisioningRow,
  SENSOR_MODEL,
  type FleetPlan,
  type PlannedDevice,
} from './fleet-plan';
import { readFleetFile, writeFleetFile, type FleetFile, type StoredDevice } from './fleet-store';
import type { SimulatedDevice } from './simulator-options';
import type { DeviceKind } from './simulator-stats';

const MAX_CHUNK = 1_000;
const ATTEMPTS = 3;

export interface ProvisionOptions extends FleetPlan, DeviceTwinHttpOptions {
  /** Where `<fleet>.json` is kept. Default `<repo>/.local/simulator`. */
  readonly directory: string;
  readonly firmwareVersion?: string;
  /** Rows per bulk request, at most 1000. Default 1000. */
  readonly chunkSize?: number;
  /** Pause before failed rows are tried again (3 attempts in all). Default 2000. */
  readonly retryDelayMs?: number;
  readonly log?: (line: string) => void;
}

interface BulkAnswer {
  readonly results: readonly {
    serial: string | null;
    status: 'created' | 'existing' | 'failed';
    deviceId?: string;
    errors?: readonly string[];
    oneTimeCredentials?: { secret?: string };
  }[];
}

interface TwinClass {
  readonly deviceClass?: { kind: DeviceKind; wakeIntervalSeconds: number | null; devEui: string | null };
}

/**
 * Provisions the fleet through device-twin (or reuses it): `POST /devices/bulk` in chunks; secrets
 * are kept in `<directory>/<fleet>.json` after every chunk (device-twin shows them once); a device
 * that exists but whose secret is not in the file gets new credentials. Devices that could not be
 * provisioned are logged and left out. The broker learns new accounts shortly after: the
 * simulator retries each first login for `loginTimeoutMs`.
 */
export async function provisionFleet(options: ProvisionOptions): Promise<SimulatedDevice[]> {
  const log = options.log ?? (() => undefined);
  const firmwareVersion = options.firmwareVersion ?? '1.4.2';
  const http = new DeviceTwinHttp(options);
  const path = join(options.directory, `${options.fleet}.json`);
  const file: FleetFile = await readFleetFile(path, options.fleet);
  const planned = planFleet(options);
  const chunkSize = Math.min(options.chunkSize ?? MAX_CHUNK, MAX_CHUNK);
  const lost: PlannedDevice[] = [];
  const reason = `simulator ${options.fleet}`;
  let created = 0;
  for (let start = 0; start < planned.length; start += chunkSize) {
    let pending = planned.slice(start, start + chunkSize);
    // A row can fail for a passing reason (device-twin answers "retry" when the broker is slow): try again.
    for (let attempt = 1; pending.length > 0 && attempt <= ATTEMPTS; attempt++) {
      if (attempt > 1) await sleep(options.retryDelayMs ?? 2_000);
      const rows = pending.map((device) => provisioningRow(device, firmwareVersion));
      const answer = await http.post<BulkAnswer>('/devices/bulk', { devices: rows, reason });
      const bySerial = new Map(pending.map((device) => [device.serial, device]));
      pending = [];
      for (const result of answer.results) {
        const device = bySerial.get(result.serial ?? '');
        if (!device) continue;
        const deviceId = result.deviceId ?? device.deviceId;
        if (result.status === 'failed') {
          if (attempt < ATTEMPTS) pending.push(device);
          else log(`${device.serial}: not provisioned: ${(result.errors ?? []).join('; ')}`);
        } else if (result.status === 'created') {
          created++;
          const { deviceId: _, ...stored } = device;
          file.devices[deviceId] = { ...stored, ...secretOf(result.oneTimeCredentials?.secret) };
        } else if (!usable(file.devices[deviceId])) lost.push({ ...device, deviceId });
      }
      await writeFleetFile(path, file);
    }
  }
  await mapConcurrently(lost, 8, async (device) => {
    file.devices[device.deviceId] = await recover(http, device);
  });
  if (lost.length > 0) await writeFleetFile(path, file);
  const devices = planned.flatMap(({ deviceId }) =>
    simulatedDevice(deviceId, file.devices[deviceId], firmwareVersion),
  );
  log(
    `fleet ${options.fleet}: ${devices.length} devices (${created} created, ${lost.length} credentials rotated, ` +
      `${planned.length - devices.length} failed) — secrets in ${path}`,
  );
  return devices;
}

const secretOf = (secret: string | undefined) => (secret === undefined ? {} : { secret });

function usable(stored: StoredDevice | undefined): boolean {
  return stored !== undefined && (stored.kind === 'lorawan' || stored.secret !== undefined);
}

/** An existing device without a known secret: its class from its twin, and new credentials unless LoRaWAN. */
async function recover(http: DeviceTwinHttp, device: PlannedDevice): Promise<StoredDevice> {
  const id = encodeURIComponent(device.deviceId);
  // Not found yet (its read model lags): the plan's class is the best guess.
  const notFound: TwinClass = {};
  const twin = await http.get<TwinClass>(`/devices/${id}`).catch((error: unknown) => {
    if (error instanceof DeviceTwinError && error.status === 404) return notFound;
    throw error;
  });
  const { deviceId: _, ...planned } = device;
  const kind = twin.deviceClass?.kind ?? device.kind;
  const stored: StoredDevice = {
    ...planned,
    kind,
    model: kind === 'lorawan' ? LORAWAN_MODEL : SENSOR_MODEL,
    ...(twin.deviceClass?.devEui ? { devEui: twin.deviceClass.devEui.toLowerCase() } : {}),
    ...(twin.deviceClass?.wakeIntervalSeconds
      ? { wakeIntervalSeconds: twin.deviceClass.wakeIntervalSeconds }
      : {}),
  };
  if (kind === 'lorawan') return stored;
  const rotated = await http.post<{ oneTimeCredentials?: { secret?: string } }>(
    `/devices/${id}/credentials/rotate`,
    {
      reason: 'simulator: secret not in the fleet file',
    },
  );
  return { ...stored, ...secretOf(rotated.oneTimeCredentials?.secret) };
}

function simulatedDevice(
  deviceId: string,
  stored: StoredDevice | undefined,
  firmwareVersion: string,
): SimulatedDevice[] {
  if (!usable(stored) || stored === undefined) return [];
  const { kind, model, devEui, wakeIntervalSeconds, secret } = stored;
  return [
    {
      deviceId,
      kind,
      model,
      firmwareVersion,
      ...(secret === undefined ? {} : { secret }),
      ...(devEui === undefined ? {} : { devEui }),
      ...(wakeIntervalSeconds === undefined ? {} : { wakeIntervalSeconds }),
    },
  ];
}
