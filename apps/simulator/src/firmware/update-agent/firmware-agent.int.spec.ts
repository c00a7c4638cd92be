import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevManufacturerKey } from '@fleet/firmware';
import { DeviceModel } from '../../device/device-model';
import { seededRandom } from '../../device/random';
import { PackageServer, signedPackage, tampered } from '../download/package-server.test-support';
import { resolveFirmwareOptions, type FirmwareUpdateOptions } from '../firmware-options';
import { FirmwareAgent } from './firmware-agent';
import { FleetFirmware } from './fleet-firmware';

/** One device's object 5 and its agent against a local package server, without MQTT. */
describe('firmware agent: download, verification, installation', () => {
  const server = new PackageServer();
  let dir: string;
  let good: string;
  let bad: string;
  const agents: FirmwareAgent[] = [];

  beforeAll(async () => {
    await server.start();
    dir = await mkdtemp(join(tmpdir(), 'sim-agent-'));
    const key = await ensureDevManufacturerKey(dir);
    const pkg = signedPackage('2.0.0', 200_000, { keyId: key.trusted.keyId, privateKey: key.privateKey });
    good = server.serve('/fw-2.0.0.bin', pkg);
    bad = server.serve('/fw-2.0.0-tampered.bin', tampered(pkg));
  });
  afterEach(() => agents.splice(0).forEach((agent) => agent.stop()));
  afterAll(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function device(options: FirmwareUpdateOptions = {}) {
    const settings = resolveFirmwareOptions({
      trustedKeysDir: dir,
      installMs: 50,
      retryDelayMs: 10,
      ...options,
    });
    const fleet = new FleetFirmware(settings, 7);
    const failures = fleet.failuresOf('dev-0', 0);
    const model = new DeviceModel({
      firmwareVersion: '1.4.2',
      profile: 'ip',
      random: seededRandom(3),
      configuration: {},
    });
    model.enableFirmwareUpdate({ minBatteryPercent: 10, batterySags: () => failures.next('lowBattery') });
    const reports: [number, number][] = [];
    let restarts = 0;
    const agent: FirmwareAgent = new FirmwareAgent({
      model,
      fleet,
      failures,
      report: () => reports.push([model.firmwareUpdate.state, model.firmwareUpdate.result]),
      restart: () => {
        restarts++;
        agent.changed(model.reboot());
      },
    });
    agents.push(agent);
    const command = (op: 'write' | 'execute', value?: string) => {
      const answer =
        op === 'write'
          ? model.handleCommand({ id: 'w', op, path: '/5/0/1', value: value! }, Date.now())!
          : model.handleCommand({ id: 'x', op, path: '/5/0/2' }, Date.now())!;
      if (answer.effect.kind === 'firmware') agent.changed(answer.effect.events);
      return answer.ack;
    };
    const until = async (state: number, result: number) => {
      const deadline = Date.now() + 5_000;
      while (model.firmwareUpdate.state !== state || model.firmwareUpdate.result !== result) {
        if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(model.firmwareUpdate)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    return { model, reports, restarts: () => restarts, command, until };
  }

  it('given a signed package, when written and executed, then 1, 2, 3, then a restart on 2.0.0 with result 1', async () => {
    const d = device();
    expect(d.command('write', good)).toMatchObject({ code: '2.04' });
    await d.until(2, 0);
    expect(d.model.firmwareUpdate.packageVersion).toBe('2.0.0');
    expect(d.command('execute')).toMatchObject({ code: '2.04' });
    await d.until(0, 1);
    expect(d.reports).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [0, 1],
    ]);
    expect(d.model.firmwareVersion).toBe('2.0.0');
    expect(d.restarts()).toBe(1);
  });

  it('given a tampered package, when downloaded, then Idle with result 5 and the old firmware', async () => {
    const d = device();
    d.command('write', bad);
    await d.until(0, 5);
    expect(d.model.firmwareUpdate.reason).toMatch(/^SHA-256 /);
    expect(d.model.firmwareVersion).toBe('1.4.2');
  });

  it.each([
    ['download', 4, /connection lost during download after \d+ bytes \(injected failure\)/],
    ['signature', 5, /signature does not verify \(injected failure\)/],
  ] as const)(
    'given an injected %s failure, when downloaded, then result %s',
    async (kind, result, reason) => {
      const d = device({ failures: { [kind]: { firstDevices: 1 } } });
      d.command('write', good);
      await d.until(0, result);
      expect(d.model.firmwareUpdate.reason).toMatch(reason);
    },
  );

  it('given an injected crash, when installing, then the device restarts on its old firmware, Downloaded with result 8', async () => {
    const d = device({ failures: { install: { deviceIds: ['dev-0'] } } });
    d.command('write', good);
    await d.until(2, 0);
    d.command('execute');
    await d.until(2, 8);
    expect(d.reports.slice(-2)).toEqual([
      [3, 0],
      [2, 8],
    ]);
    expect(d.model.firmwareVersion).toBe('1.4.2');
    expect(d.model.firmwareUpdate.reason).toBe(
      'the device crashed while installing 2.0.0 and restarted on 1.4.2 (injected failure)',
    );
    expect(d.restarts()).toBe(1);
  });

  it('given an injected low battery, when executed, then refused 5.00 with the reason and result 8', async () => {
    const d = device({ failures: { lowBattery: { rate: 1 } } });
    d.command('write', good);
    await d.until(2, 0);
    expect(d.command('execute')).toMatchObject({
      status: 'failed',
      code: '5.00',
      reason: 'battery at 9 % is below the 10 % needed to install firmware',
    });
    expect(d.model.firmwareUpdate).toMatchObject({ state: 2, result: 8 });
    expect(d.reports.at(-1)).toEqual([2, 8]);
  });

  it('given a download that keeps failing, when an empty URI is written, then it stops at once: Idle, result 0', async () => {
    const d = device({ retryDelayMs: 60_000 });
    server.failRequests(1, 503);
    d.command('write', good);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = server.requests.length;
    expect(d.command('write', '')).toMatchObject({ code: '2.04' });
    expect(d.model.firmwareUpdate).toMatchObject({ state: 0, result: 0 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.requests.length).toBe(before);
    expect(d.reports).toEqual([
      [1, 0],
      [0, 0],
    ]);
  });
});
