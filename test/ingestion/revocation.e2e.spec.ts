import { encodeSenml } from '@fleet/device-protocol';
import { IngestionHarness, type ProvisionedDevice } from '../support/ingestion-harness';

const up = (id: string) => `fleet/v1/devices/${id}/up/telemetry`;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('revoking a device on the broker', () => {
  const harness = new IngestionHarness();
  let devices: ProvisionedDevice[];

  beforeAll(async () => {
    await harness.start();
    devices = await harness.provision(2);
  });
  afterAll(() => harness.stop());

  const lifecycle = (deviceId: string, action: string) =>
    harness.twin.json(`/devices/${deviceId}/${action}`, {
      method: 'POST',
      token: harness.twin.tokens.operator,
      body: JSON.stringify({ reason: `e2e ${action}` }),
    });

  it('decommission closes the live session and nothing is accepted 5 s later, however hard it tries', async () => {
    const [device] = devices as [ProvisionedDevice];
    // The device keeps publishing and reconnecting, as a misbehaving or stolen device would.
    const client = await harness.connectDevice(device, { reconnectPeriod: 100 });
    let closedAt: number | undefined;
    client.on('close', () => (closedAt ??= Date.now()));
    const publisher = setInterval(() => {
      if (client.connected)
        client.publish(up(device.deviceId), encodeSenml([{ path: '/3/0/9', value: 42 }], 'json'), { qos: 1 });
    }, 20);
    await harness.until(
      () => (harness.telemetry.get(device.deviceId)?.length ?? 0) > 5,
      15_000,
      'telemetry flowing',
    );

    const { status } = await lifecycle(device.deviceId, 'decommission');
    const decommissionedAt = Date.now();
    expect(status).toBe(200);
    await harness.until(() => closedAt !== undefined, 5_000, 'the session to be closed');
    await pause(7_000); // 5 s grace, then 2 s of reconnect attempts that must all fail
    clearInterval(publisher);
    client.end(true);

    expect(closedAt! - decommissionedAt).toBeLessThan(5_000);
    const late = (harness.telemetry.get(device.deviceId) ?? []).filter(
      (t) => t.receivedAt > decommissionedAt + 5_000,
    );
    expect(late).toEqual([]);
    expect(client.connected).toBe(false);
  });

  it('suspend disconnects and refuses the device, resume lets it back', async () => {
    const device = devices[1]!;
    const client = await harness.connectDevice(device);
    const closed = new Promise<number>((resolve) => client.once('close', () => resolve(Date.now())));
    const suspendedAt = Date.now();
    await lifecycle(device.deviceId, 'suspend');
    expect((await closed) - suspendedAt).toBeLessThan(5_000);
    await expect(
      harness.connectDevice(device, { connectTimeout: 1_000 }, 0).then(() => 'connected'),
    ).rejects.toThrow(/Not authorized|Bad User Name or Password/);
    await lifecycle(device.deviceId, 'resume');
    const back = await harness.connectDevice(device);
    expect(back.connected).toBe(true);
  });
});
