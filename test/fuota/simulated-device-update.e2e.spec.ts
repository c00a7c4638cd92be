import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceTelemetry } from '@fleet/device-protocol';
import { ensureDevManufacturerKey } from '@fleet/firmware';
import {
  PackageServer,
  signedPackage,
  tampered,
} from '../../apps/simulator/src/firmware/download/package-server.test-support';
import type { FleetSimulator } from '../../apps/simulator/src/simulator';
import { DispatcherHarness, type CommandView } from '../support/dispatcher-harness';
import type { ProvisionedDevice } from '../support/ingestion-harness';

interface HistoryEntry {
  type: string;
  actor: { type: string; id: string };
  data: { previousVersion: string | null; firmwareVersion: string };
}

/** Object 5 as one telemetry record on Kafka says it (an `up/fuota` pack or a notification). */
const objectFive = (t: DeviceTelemetry) => {
  const reading = (path: string) => t.readings.find((r) => r.path === path);
  return {
    state: reading('/5/0/3')?.numberValue,
    result: reading('/5/0/5')?.numberValue,
    packageVersion: reading('/5/0/8')?.stringValue,
    firmwareVersion: t.firmwareVersion,
    notification: t.messageId.endsWith(':notification'),
    measuredAt: t.measuredAt ?? t.receivedAt,
  };
};

// The device side of a firmware update over IP, through the running stack: the dispatcher writes
// the Package URI and executes Update on a simulated device, which downloads from a local HTTP
// server in Range requests, verifies hash and signature, and reports object 5 on `up/fuota`;
// ingestion turns that into telemetry on Kafka, and device-twin records the new firmware version.
describe('firmware update of a simulated device over HTTP (LwM2M object 5)', () => {
  const harness = new DispatcherHarness();
  const server = new PackageServer();
  let dir: string;
  let device: ProvisionedDevice;
  let simulator: FleetSimulator;
  let goodUri: string;
  let tamperedUri: string;
  let packageBytes: number;

  beforeAll(async () => {
    await Promise.all([harness.start({ ACK_TIMEOUT_MS: '5000' }), server.start()]);
    dir = await mkdtemp(join(tmpdir(), 'e2e-fw-keys-'));
    const key = await ensureDevManufacturerKey(dir);
    const pkg = signedPackage('2.0.0', 300_000, { keyId: key.trusted.keyId, privateKey: key.privateKey });
    packageBytes = pkg.length;
    goodUri = server.serve('/packages/fw-2.0.0.bin', pkg);
    tamperedUri = server.serve('/packages/fw-2.0.0-tampered.bin', tampered(pkg));
    device = (await harness.stack.provision(1))[0]!;
    await harness.untilKnown([device.deviceId]);
    simulator = await harness.simulate([device], {
      telemetryIntervalMs: 1_000,
      rebootDelayMs: 300,
      firmware: { trustedKeysDir: dir, installMs: 500, chunkBytes: 64 * 1024 },
    });
  });
  afterAll(async () => {
    await harness.stop();
    await server.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const run = async (body: Record<string, unknown>): Promise<CommandView> => {
    const { status, body: command } = await harness.api<CommandView>(
      'POST',
      `/devices/${device.deviceId}/commands`,
      { reason: 'e2e firmware update', ...body },
    );
    expect(status).toBe(202);
    return harness.commandIn(command.commandId, ['succeeded', 'failed', 'expired', 'refused']);
  };
  const reports = () =>
    (harness.stack.telemetry.get(device.deviceId) ?? [])
      .map(objectFive)
      .filter((r) => r.state !== undefined)
      .sort((a, b) => a.measuredAt - b.measuredAt);
  const reported = (what: string, match: (r: ReturnType<typeof objectFive>) => boolean, after = 0) =>
    harness.until(
      async () => (reports().find((r) => r.measuredAt > after && match(r)) ? true : undefined),
      30_000,
      what,
    );
  const twin = async () =>
    (
      await harness.api<{ firmwareVersion: string | null }>(
        'GET',
        `/devices/${device.deviceId}`,
        undefined,
        'twin',
      )
    ).body;

  it('given an observation of /5/0, when read, then the device is Idle with result 0', async () => {
    const observed = await run({ operation: 'observe', path: '/5/0' });
    expect(observed).toMatchObject({ status: 'succeeded', result: { code: '2.05' } });
    expect(observed.result!.values).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '/5/0/3', value: 0 }),
        expect.objectContaining({ path: '/5/0/5', value: 0 }),
      ]),
    );
  });

  it('given nothing downloaded, when Update is executed, then the device refuses with 4.05', async () => {
    expect(await run({ operation: 'execute', path: '/5/0/2' })).toMatchObject({
      status: 'failed',
      result: { code: '4.05', reason: 'the firmware package is not downloaded (state 0, idle)' },
    });
  });

  it('given a tampered package, when its URI is written, then Update Result 5 and the device stays on 1.4.2', async () => {
    const started = Date.now();
    expect(await run({ operation: 'write', path: '/5/0/1', value: tamperedUri })).toMatchObject({
      status: 'succeeded',
      result: { code: '2.04' },
    });
    await reported('state 1 (downloading)', (r) => r.state === 1 && !r.notification, started);
    await reported('state 0 with result 5', (r) => r.state === 0 && r.result === 5, started);
    expect(simulator.firmware(device.deviceId)).toMatchObject({
      version: '1.4.2',
      update: { state: 0, result: 5, reason: expect.stringMatching(/^SHA-256 /) },
    });
    expect((await twin()).firmwareVersion).toBe('1.4.2');
  });

  it('given a signed package, when written then executed, then states 1, 2, 3 and the device runs 2.0.0', async () => {
    const started = Date.now();
    server.requests.length = 0;
    expect(await run({ operation: 'write', path: '/5/0/1', value: goodUri })).toMatchObject({
      status: 'succeeded',
    });
    await reported(
      'state 2 (downloaded) of 2.0.0',
      (r) => r.state === 2 && r.packageVersion === '2.0.0',
      started,
    );
    // Downloaded in 64 KiB Range requests, each answered 206.
    expect(server.requests.map((r) => r.status)).toEqual(
      Array.from({ length: Math.ceil(packageBytes / 65_536) }, () => 206),
    );
    // The observation of /5/0 made at the start notifies each change too.
    expect(reports().some((r) => r.notification && r.state === 2)).toBe(true);

    expect(await run({ operation: 'execute', path: '/5/0/2' })).toMatchObject({
      status: 'succeeded',
      result: { code: '2.04' },
    });
    await reported(
      'state 0 with result 1 on 2.0.0',
      (r) => r.result === 1 && r.firmwareVersion === '2.0.0',
      started,
    );

    const states = reports()
      .filter((r) => r.measuredAt > started && !r.notification)
      .map((r) => [r.state, r.result]);
    expect(states).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [0, 1],
    ]);
    await harness.until(
      async () => ((await twin()).firmwareVersion === '2.0.0' ? true : undefined),
      15_000,
      'the twin to show 2.0.0',
    );
    const { body } = await harness.api<{ entries: HistoryEntry[] }>(
      'GET',
      `/devices/${device.deviceId}/history?type=FirmwareVersionChanged`,
      undefined,
      'twin',
    );
    expect(body.entries.at(-1)).toMatchObject({
      type: 'FirmwareVersionChanged',
      actor: { type: 'device', id: device.deviceId },
      data: { previousVersion: '1.4.2', firmwareVersion: '2.0.0' },
    });
  });
});
