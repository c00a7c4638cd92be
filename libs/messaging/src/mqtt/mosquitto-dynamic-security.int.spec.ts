import { randomUUID } from 'node:crypto';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { localMqttPassword } from '@fleet/platform';
import { testInfrastructure } from '@fleet/testing';
import { MosquittoDynamicSecurity } from './mosquitto-dynamic-security';

const url = testInfrastructure.mqttUrl;
const connect = (options: IClientOptions) =>
  connectAsync(url, { reconnectPeriod: 0, connectTimeout: 3_000, ...options });
const refusal = (options: IClientOptions) =>
  connect(options).then(
    (client) => client.endAsync().then(() => 'connected'),
    (error: Error) => error.message,
  );
const closed = (client: MqttClient) => new Promise<void>((resolve) => client.once('close', () => resolve()));

describe('MosquittoDynamicSecurity against the local broker', () => {
  let admin: MqttClient;
  let access: MosquittoDynamicSecurity;
  const devices: string[] = [];
  const newDevice = () => {
    const id = `it-${randomUUID()}`;
    devices.push(id);
    return id;
  };

  beforeAll(async () => {
    admin = await connect({
      username: 'fleet-platform',
      password: localMqttPassword('fleet-platform'),
      clientId: `it-dynsec-${randomUUID()}`,
    });
    access = new MosquittoDynamicSecurity(() => Promise.resolve(admin));
  });
  afterAll(async () => {
    await Promise.all(devices.map((id) => access.removeDevice(id)));
    await admin.endAsync();
  });

  it('lets a registered device in only with its own client id and password', async () => {
    const id = newDevice();
    await access.registerDevice(id, 's3cret-1', true);
    expect(await refusal({ username: id, password: 's3cret-1', clientId: id })).toBe('connected');
    expect(await refusal({ username: id, password: 's3cret-1', clientId: 'someone-else' })).toMatch(
      /Not authorized|Bad User Name or Password/,
    );
    expect(await refusal({ username: id, password: 'wrong', clientId: id })).toMatch(
      /Not authorized|Bad User Name or Password/,
    );
  });

  it('closes the live session when the device is disabled, and lets it back when enabled', async () => {
    const id = newDevice();
    await access.registerDevice(id, 'pw', true);
    const device = await connect({ username: id, password: 'pw', clientId: id });
    const kicked = closed(device);
    await access.setDeviceEnabled(id, false);
    await kicked;
    expect(await refusal({ username: id, password: 'pw', clientId: id })).toMatch(/Not authorized|Bad User/);
    await access.setDeviceEnabled(id, true);
    expect(await refusal({ username: id, password: 'pw', clientId: id })).toBe('connected');
    await device.endAsync(true);
  });

  it('re-registering replaces the password (rotation) and removal forgets the device', async () => {
    const id = newDevice();
    await access.registerDevice(id, 'old', true);
    await access.registerDevice(id, 'new', true);
    expect(await refusal({ username: id, password: 'old', clientId: id })).toMatch(/Not authorized|Bad User/);
    expect(await refusal({ username: id, password: 'new', clientId: id })).toBe('connected');
    await access.removeDevice(id);
    await access.removeDevice(id); // idempotent
    expect(await refusal({ username: id, password: 'new', clientId: id })).toMatch(/Not authorized|Bad User/);
  });

  it('batches many registrations arriving together', async () => {
    const ids = Array.from({ length: 100 }, () => newDevice());
    await Promise.all(ids.map((id) => access.registerDevice(id, `pw-${id}`, true)));
    const last = ids[ids.length - 1]!;
    expect(await refusal({ username: last, password: `pw-${last}`, clientId: last })).toBe('connected');
  });
});
