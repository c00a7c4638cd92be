import { testInfrastructure } from '@fleet/testing';
import { connectAsync, type MqttClient } from 'mqtt';
import { IngestionHarness, type ProvisionedDevice } from '../support/ingestion-harness';

const DEVICES = 50;
const up = (id: string) => `fleet/v1/devices/${id}/up/telemetry`;
const down = (id: string) => `fleet/v1/devices/${id}/down/command`;
/** A valid reading that also says who sent it (SenML ignores fields it does not know). */
const senml = (from: string) => JSON.stringify([{ bn: '/3/0/', n: '9', v: 50, from }]);
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Every ordered pair of 50 devices, publish and subscribe, over MQTT 3.1.1 and 5, with an
 * independent subscriber as the oracle: MQTT 3.1.1 acknowledges a denied publish, so only what is
 * delivered counts.
 */
describe('device isolation on the broker', () => {
  const harness = new IngestionHarness();
  let devices: ProvisionedDevice[];

  beforeAll(async () => {
    await harness.start();
    devices = await harness.provision(DEVICES);
  });
  afterAll(() => harness.stop());

  describe.each([4, 5] as const)('MQTT protocol version %s', (protocolVersion) => {
    it('delivers nothing across devices, and everything each device may send or receive', async () => {
      const observer = await harness.connectAccount('fleet-observer', { protocolVersion });
      const seenByObserver: { topic: string; from: string }[] = [];
      observer.on('message', (topic, payload) => {
        const from = /"from":"([^"]+)"/.exec(payload.toString())?.[1] ?? '?';
        seenByObserver.push({ topic, from });
      });
      await observer.subscribeAsync('fleet/v1/devices/#', { qos: 1 });

      const received = new Map<string, string[]>();
      const clients: MqttClient[] = [];
      for (const device of devices) {
        const client = await harness.connectDevice(device, { protocolVersion, clean: true });
        received.set(device.deviceId, []);
        client.on('message', (topic) => received.get(device.deviceId)!.push(topic));
        await client.subscribeAsync(down(device.deviceId), { qos: 1 });
        // Every other device's downlinks and the whole tree: the broker refuses these (SUBACK
        // failure codes), and whatever it had accepted would show up below as a delivery.
        const others = [
          'fleet/v1/devices/+/down/#',
          '#',
          ...devices.filter((d) => d !== device).map((d) => down(d.deviceId)),
        ];
        await Promise.all(
          others.map((filter) => client.subscribeAsync(filter, { qos: 1 }).catch(() => undefined)),
        );
        clients.push(client);
      }

      await Promise.all(
        devices.map((sender, i) =>
          Promise.all(
            devices.map((target) =>
              clients[i]!.publishAsync(up(target.deviceId), senml(sender.deviceId), { qos: 1 }).catch(
                () => undefined,
              ),
            ),
          ),
        ),
      );
      const platform = await harness.connectAccount('fleet-platform', { protocolVersion });
      await Promise.all(
        devices.map((d) =>
          platform.publishAsync(down(d.deviceId), '{"id":"c1","op":"read","path":"/3/0/9"}', { qos: 1 }),
        ),
      );
      await harness.until(
        () =>
          seenByObserver.filter((m) => m.topic.includes('/up/')).length >= DEVICES &&
          [...received.values()].every((r) => r.length >= 1),
        15_000,
        'the permitted messages',
      );
      await settle(1_500); // anything that was going to leak has arrived by now

      const crossPublishes = seenByObserver.filter((m) => m.topic.includes('/up/') && m.topic !== up(m.from));
      const ownPublishes = seenByObserver.filter((m) => m.topic.includes('/up/') && m.topic === up(m.from));
      expect(crossPublishes).toEqual([]);
      expect(ownPublishes).toHaveLength(DEVICES);
      for (const device of devices) {
        expect(received.get(device.deviceId)).toEqual([down(device.deviceId)]);
      }
      await Promise.all([...clients, observer, platform].map((c) => c.endAsync()));
    });
  });

  it('does not let a device take over another device’s session with its client id', async () => {
    const [victim, intruder] = devices as [ProvisionedDevice, ProvisionedDevice];
    const session = await harness.connectDevice(victim);
    let victimClosed = false;
    session.on('close', () => (victimClosed = true));
    const takeover = await connectAsync(testInfrastructure.mqttUrl, {
      username: intruder.deviceId,
      password: intruder.secret,
      clientId: victim.deviceId,
      reconnectPeriod: 0,
      connectTimeout: 3_000,
    }).then(
      (c) => c.endAsync().then(() => 'connected'),
      (error: Error) => error.message,
    );
    expect(takeover).toMatch(/Not authorized|Bad User Name or Password/);
    await settle(500);
    expect(victimClosed).toBe(false);
    expect(session.connected).toBe(true);
    await session.endAsync();
  });
});
