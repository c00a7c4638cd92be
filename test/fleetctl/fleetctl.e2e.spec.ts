import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { issueDevToken } from '@fleet/auth';
import { eventually } from '@fleet/testing';
import { createDatabase } from '../support/database';
import { freePort, ServiceProcess } from '../support/service-process';

const root = resolve(__dirname, '..', '..');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs fleetctl from its sources as a user would (`npm run fleetctl -- ...` minus npm's banner). */
function fleetctl(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  const inherited = { ...process.env };
  delete inherited['FLEET_URL'];
  delete inherited['FLEET_TOKEN'];
  return new Promise((done, fail) => {
    const child = spawn(resolve(root, 'node_modules/.bin/tsx'), ['apps/fleetctl/src/main.ts', ...args], {
      cwd: root,
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const NO_STACK = /\n\s+at /;

// The CLI against the compiled device-twin (`npm run build`) on a fresh database. Devices are
// provisioned over HTTP; everything else goes through fleetctl's output and exit code.
describe('fleetctl', () => {
  let database: { url: string; drop(): Promise<void> };
  let twin: ServiceProcess;
  let admin: string;
  let support: string;
  let device: { deviceId: string; serial: string };
  const correlationId = `corr-${randomUUID()}`;
  const before = new Date(Date.now() - 1000).toISOString();

  /** fleetctl against the test's device-twin; without a token it issues its own dev token. */
  const cli = (args: readonly string[], env: Record<string, string> = {}) =>
    fleetctl(args, { FLEET_URL: twin.url, ...env });
  const cliJson = async <T>(args: readonly string[]): Promise<T> => {
    const run = await cli([...args, '--json'], { FLEET_TOKEN: support });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(run.stdout) as T;
  };
  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${twin.url}${path}`, { headers: { authorization: `Bearer ${support}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as T;
  };

  beforeAll(async () => {
    database = await createDatabase();
    // Broker registration is ingestion's suites' concern (docs/adr/008).
    twin = new ServiceProcess('device-twin', await freePort(), {
      PG_URL: database.url,
      DEVICE_BROKER_REGISTRATION: 'none',
    });
    await twin.start();
    admin = await issueDevToken({ role: 'admin', subject: 'alice' });
    support = await issueDevToken({ role: 'support', subject: 'sam' });
    const response = await fetch(`${twin.url}/devices`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${admin}`,
        'content-type': 'application/json',
        'x-correlation-id': correlationId,
      },
      body: JSON.stringify({
        serial: `SN-CLI-${randomUUID().slice(0, 8)}`,
        manufacturer: 'Acme',
        model: 'WM-200',
        firmwareVersion: '1.2.0',
        tags: ['water'],
        reason: 'new site north',
      }),
    });
    expect(response.status).toBe(201);
    device = (await response.json()) as typeof device;
  });

  afterAll(async () => {
    await twin?.stop();
    await database?.drop();
  });

  describe('against the existing endpoints', () => {
    it('device show: prints serial and status, with a development token issued on the fly', async () => {
      const { status } = await api<{ status: string }>(`/devices/${device.deviceId}`);
      const run = await cli(['device', 'show', device.deviceId]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Device ${device.deviceId}`);
      expect(run.stdout).toMatch(new RegExp(`serial\\s+${device.serial}`));
      expect(run.stdout).toMatch(new RegExp(`status\\s+${status}\\b`));
      expect(run.stdout).toMatch(/firmware\s+1\.2\.0/);
    });

    it('device show --json: the raw twin, with a token from --token', async () => {
      const run = await cli(['--token', support, 'device', 'show', device.deviceId, '--json']);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ deviceId: device.deviceId, serial: device.serial });
    });

    it('device history --json: lists DeviceProvisioned with actor, reason and correlation id', async () => {
      const history = await cliJson<{ entries: unknown[] }>(['device', 'history', device.deviceId]);
      expect(history.entries[0]).toMatchObject({
        type: 'DeviceProvisioned',
        version: 1,
        actor: { type: 'operator', id: 'alice' },
        reason: 'new site north',
        correlationId,
      });
    });

    it('device history: a table with version, type, actor, reason and correlation id', async () => {
      const run = await cli(['device', 'history', device.deviceId], { FLEET_TOKEN: support });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/version.*time.*type.*actor.*reason.*correlation id/);
      expect(run.stdout).toMatch(
        new RegExp(`│ 1\\s+│ \\S+Z │ DeviceProvisioned │ operator:alice │ new site north │ ${correlationId}`),
      );
    });

    it('an unknown device: exit 1 with the API message and status, no stack trace', async () => {
      const run = await cli(['device', 'show', `nobody-${randomUUID()}`]);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^fleetctl: device nobody-\S+ not found \(404 NOT_FOUND\)\n$/);
    });

    it('a rejected token: exit 1, says 401 and how to get a token', async () => {
      const run = await cli(['device', 'show', device.deviceId], { FLEET_TOKEN: 'not-a-jwt' });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/\(401 \w+\).*FLEET_TOKEN.*npm run -s token -- --role support/);
      expect(run.stderr).not.toMatch(NO_STACK);
    });

    it('an unreachable URL: exit 1, "not reachable ... is the stack running"', async () => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const run = await cli(['--url', url, 'device', 'show', device.deviceId]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `fleetctl: device-twin is not reachable at ${url}: is the stack running (npm start)? (ECONNREFUSED)\n`,
      );
    });

    it.each([
      [['device', 'state', 'meter-1'], /give --at <iso> or --version <n>/],
      [['device', 'state', 'meter-1', '--at', '2025-03-01T12:00:00'], /no time zone/],
      [['device', 'history', 'meter-1', '--limit', 'many'], /not a whole number/],
      [['devices', 'find', '--status', 'sleeping'], /Allowed choices/],
      [['device', 'frobnicate'], /unknown command/],
    ])('usage error %j: exit 2, no request made', async (args, problem) => {
      const run = await fleetctl(args, { FLEET_URL: 'http://127.0.0.1:9' });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(problem);
      expect(run.stderr).not.toMatch(/not reachable/);
    });
  });

  // These need the parts of the contract still being built (history filters and pagination,
  // /state, GET /devices search); they are written against the contract.
  describe('against the new endpoints', () => {
    interface History {
      entries: { type: string; version: number; occurredAt: string; actor: { id: string } }[];
      nextCursor: string | null;
    }

    it('device history filters by type, actor and time', async () => {
      const history = (id: string, ...args: string[]) => cliJson<History>(['device', 'history', id, ...args]);
      const id = device.deviceId;
      const provisioned = await history(id, '--type', 'DeviceProvisioned');
      expect(provisioned.entries.map((e) => e.type)).toEqual(['DeviceProvisioned']);
      expect((await history(id, '--type', 'DeviceSuspended', 'DeviceResumed')).entries).toEqual([]);
      expect((await history(id, '--actor', 'alice')).entries[0]).toMatchObject({ type: 'DeviceProvisioned' });
      expect((await history(id, '--actor', `nobody-${randomUUID()}`)).entries).toEqual([]);
      expect((await history(id, '--to', '2000-01-01')).entries).toEqual([]);
      expect((await history(id, '--from', before)).entries[0]).toMatchObject({ type: 'DeviceProvisioned' });
    });

    it('device history pages with --limit and follows every page with --all', async () => {
      const full = await api<History>(`/devices/${device.deviceId}/history`);
      const first = await cliJson<History>(['device', 'history', device.deviceId, '--limit', '1']);
      expect(first.entries).toEqual([full.entries[0]]);
      expect(first.nextCursor === null).toBe(full.entries.length === 1);
      const all = await cliJson<History>(['device', 'history', device.deviceId, '--limit', '1', '--all']);
      expect(all.entries).toEqual(full.entries);
      expect(all.nextCursor).toBeNull();
    });

    it('device state --version / --at: the twin as it was; 404 before the device existed', async () => {
      const byVersion = await cliJson<{ version: number; twin: { serial: string; version: number } }>([
        'device',
        'state',
        device.deviceId,
        '--version',
        '1',
      ]);
      expect(byVersion).toMatchObject({ version: 1, twin: { serial: device.serial, version: 1 } });

      const run = await cli(['device', 'state', device.deviceId, '--at', new Date().toISOString()], {
        FLEET_TOKEN: support,
      });
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/^As it was at \S+Z \(version \d+\)/);
      expect(run.stdout).toMatch(new RegExp(`serial\\s+${device.serial}`));

      const tooEarly = await cli(['device', 'state', device.deviceId, '--at', '2000-01-01']);
      expect(tooEarly.code).toBe(1);
      expect(tooEarly.stderr).toMatch(/\(404 NOT_FOUND\)/);
      expect(tooEarly.stderr).not.toMatch(NO_STACK);
    });

    it('devices find: a table with the device, the total and the next cursor', async () => {
      const found = await eventually(
        async () => {
          const list = await cliJson<{ items: { deviceId: string }[]; total: number }>([
            'devices',
            'find',
            '--serial',
            device.serial,
          ]);
          return list.total > 0 ? list : undefined;
        },
        20_000,
        'the device in the search',
      );
      expect(found).toMatchObject({ total: 1, items: [{ deviceId: device.deviceId }], nextCursor: null });

      const run = await cli(['devices', 'find', '--serial', device.serial, '--tag', 'water', '--limit', '5']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`${device.deviceId}.*${device.serial}.*Acme WM-200.*1\\.2\\.0`));
      expect(run.stdout).toMatch(/total: 1\nnext cursor: none/);

      const none = await cliJson<{ total: number }>([
        'devices',
        'find',
        '--serial',
        device.serial,
        '--tag',
        'gas',
      ]);
      expect(none.total).toBe(0);
    });
  });
});
