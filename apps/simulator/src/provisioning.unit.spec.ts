import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devEuiOf, planFleet, provisioningRow } from './fleet-plan';
import { provisionFleet } from './provisioning';

/** device-twin's provisioning calls, in memory. */
class FakeDeviceTwin {
  readonly devices = new Map<string, { kind: string; devEui: string | null; wake: number | null }>();
  readonly calls: string[] = [];
  /** Serials refused, with how many more times. */
  readonly refuse = new Map<string, number>();
  private secrets = 0;

  readonly fetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const { pathname } = new URL(url instanceof Request ? url.url : url);
    const method = init?.method ?? 'GET';
    this.calls.push(`${method} ${pathname}`);
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    const json = (status: number, value: unknown) => new Response(JSON.stringify(value), { status });
    if (pathname === '/devices/bulk')
      return json(200, { results: (body['devices'] as Row[]).map((r, i) => this.provision(r, i + 1)) });
    const [, id = '', action] = /^\/devices\/([^/]+)(\/credentials\/rotate)?$/.exec(pathname) ?? [];
    const device = this.devices.get(id);
    if (!device) return json(404, { message: `device ${id} not found` });
    if (action) return json(200, { deviceId: id, oneTimeCredentials: { secret: this.secret() } });
    return json(200, {
      deviceId: id,
      deviceClass: { kind: device.kind, devEui: device.devEui, wakeIntervalSeconds: device.wake },
    });
  };

  private provision(row: Row, index: number) {
    const base = { row: index, serial: row.serial, deviceId: row.deviceId };
    const refusals = this.refuse.get(row.serial) ?? 0;
    if (refusals > 0) {
      this.refuse.set(row.serial, refusals - 1);
      return { row: index, serial: row.serial, status: 'failed', errors: ['broker unavailable, retry'] };
    }
    if (this.devices.has(row.deviceId)) return { ...base, status: 'existing' };
    const { kind, devEui = null, wakeIntervalSeconds = null } = row.deviceClass;
    this.devices.set(row.deviceId, {
      kind,
      devEui: devEui?.toUpperCase() ?? null,
      wake: wakeIntervalSeconds,
    });
    const oneTimeCredentials = kind === 'lorawan' ? { appKey: 'AA'.repeat(16) } : { secret: this.secret() };
    return { ...base, status: 'created', oneTimeCredentials };
  }

  private secret(): string {
    return `secret-${++this.secrets}`;
  }
}

interface Row {
  serial: string;
  deviceId: string;
  deviceClass: { kind: string; devEui?: string; wakeIntervalSeconds?: number };
}

describe('fleet plan', () => {
  it('given shares, when planning 1000 devices, then the classes come in those shares', () => {
    const plan = planFleet({ fleet: 'f', devices: 1000, sleepyShare: 0.2, lorawanShare: 0.1 });
    const count = (kind: string) => plan.filter((d) => d.kind === kind).length;
    expect(count('sleepy')).toBeGreaterThanOrEqual(195);
    expect(count('sleepy')).toBeLessThanOrEqual(205);
    expect(count('lorawan')).toBeGreaterThanOrEqual(97);
    expect(count('lorawan')).toBeLessThanOrEqual(103);
    expect(plan[0]).toMatchObject({ deviceId: 'sim-f-1', serial: 'sim-f-1' });
  });

  it('given a larger fleet later, when planning, then the first devices keep their class', () => {
    const small = planFleet({ fleet: 'f', devices: 50, sleepyShare: 0.3, lorawanShare: 0.3 });
    expect(planFleet({ fleet: 'f', devices: 500, sleepyShare: 0.3, lorawanShare: 0.3 }).slice(0, 50)).toEqual(
      small,
    );
  });

  it('given a LoRaWAN device, when planned, then it is an FW-LORA meter in EU868, class A, with a stable DevEUI', () => {
    const lora = planFleet({ fleet: 'f', devices: 20, lorawanShare: 1 })[4]!;
    expect(lora).toMatchObject({ kind: 'lorawan', model: 'FW-LORA-METER', devEui: devEuiOf('sim-f-5') });
    expect(lora.devEui).toMatch(/^[0-9a-f]{16}$/);
    expect(provisioningRow(lora, '1.4.2')).toMatchObject({
      region: 'EU868',
      deviceClass: { kind: 'lorawan', lorawanClass: 'A', devEui: lora.devEui },
    });
  });

  it.each([
    [{ fleet: 'Bad/Name', devices: 1 }],
    [{ fleet: 'f', devices: 1, sleepyShare: 0.7, lorawanShare: 0.7 }],
    [{ fleet: 'f', devices: 1, wakeIntervalSeconds: 5 }],
  ])('given %j, when planning, then it is refused', (plan) => {
    expect(() => planFleet(plan)).toThrow();
  });
});

describe('provisionFleet', () => {
  let directory: string;
  let twin: FakeDeviceTwin;
  const provision = (devices = 5) =>
    provisionFleet({
      fleet: 'unit',
      devices,
      sleepyShare: 0.2,
      lorawanShare: 0.2,
      directory,
      chunkSize: 2,
      retryDelayMs: 1,
      token: async () => 'token',
      fetch: twin.fetch,
    });

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'simulator-'));
    twin = new FakeDeviceTwin();
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  it('given a new fleet, when provisioned, then bulk requests of at most chunkSize rows and secrets kept in the file', async () => {
    const devices = await provision();
    expect(twin.calls).toEqual(['POST /devices/bulk', 'POST /devices/bulk', 'POST /devices/bulk']);
    expect(devices).toHaveLength(5);
    for (const device of devices)
      expect(device.kind === 'lorawan' ? device.devEui : device.secret).toBeDefined();
    const file = JSON.parse(await readFile(join(directory, 'unit.json'), 'utf8')) as { devices: object };
    expect(Object.keys(file.devices)).toHaveLength(5);
    expect((await stat(join(directory, 'unit.json'))).mode & 0o077).toBe(0);
  });

  it('given the fleet again, when provisioned, then the stored secrets are reused without rotation', async () => {
    const first = await provision();
    twin.calls.length = 0;
    expect(await provision()).toEqual(first);
    expect(twin.calls.some((call) => call.includes('rotate'))).toBe(false);
  });

  it('given existing devices whose secrets are lost, when provisioned, then they get new credentials', async () => {
    const first = await provision();
    await rm(join(directory, 'unit.json'));
    twin.calls.length = 0;
    const again = await provision();
    const rotations = twin.calls.filter((call) => call.endsWith('/credentials/rotate'));
    expect(rotations).toHaveLength(first.filter((d) => d.kind !== 'lorawan').length);
    expect(again.map((d) => d.kind)).toEqual(first.map((d) => d.kind));
    expect(again.find((d) => d.kind === 'sleepy')?.wakeIntervalSeconds).toBe(60);
    expect(again.find((d) => d.kind !== 'lorawan')?.secret).not.toBe(
      first.find((d) => d.kind !== 'lorawan')?.secret,
    );
  });

  it('given a row device-twin refuses, when provisioned, then it is tried three times and left out', async () => {
    twin.refuse.set('sim-unit-2', Infinity);
    const devices = await provision();
    expect(devices.map((d) => d.deviceId)).not.toContain('sim-unit-2');
    expect(devices).toHaveLength(4);
    expect(twin.calls.filter((call) => call === 'POST /devices/bulk')).toHaveLength(5);
  });

  it('given a row that fails once, when provisioned, then the retry provisions it', async () => {
    twin.refuse.set('sim-unit-2', 1);
    expect((await provision()).map((d) => d.deviceId)).toContain('sim-unit-2');
    expect(twin.calls.filter((call) => call === 'POST /devices/bulk')).toHaveLength(4);
  });
});
