import { localMqttPassword } from '@fleet/platform';
import { testInfrastructure } from '@fleet/testing';
import { FleetSimulator } from '../../apps/simulator/src/simulator';
import { IngestionHarness } from '../support/ingestion-harness';

interface TwinConnectivity {
  connectivity: { lastSeenAt: string | null; batteryPercent: number | null; uplinkCount: number };
}

describe('a simulated fleet through the running stack', () => {
  const harness = new IngestionHarness();
  afterAll(() => harness.stop());

  it('shows the telemetry of always-on, sleepy and LoRaWAN devices in their twins', async () => {
    await harness.start();
    const ip = await harness.provision(8);
    const lora = await harness.provisionLorawan(4);
    const devices = [
      ...ip.map((d, i) => ({
        deviceId: d.deviceId,
        secret: d.secret,
        kind: i % 2 === 0 ? ('always-on' as const) : ('sleepy' as const),
        model: 'FW-SENSOR-1',
        wakeIntervalSeconds: 1,
      })),
      ...lora.map((d) => ({
        deviceId: d.deviceId,
        kind: 'lorawan' as const,
        devEui: d.devEui!,
        model: 'FW-LORA-METER',
      })),
    ];
    const simulator = new FleetSimulator(devices, {
      mqttUrl: testInfrastructure.mqttUrl,
      telemetryIntervalMs: 500,
      maxMessages: 4,
      format: 'mixed',
      sleepyListenWindowMs: 200,
      networkServer: { username: 'ns-chirpstack', password: localMqttPassword('ns-chirpstack') },
    });
    await simulator.start();
    await simulator.whenDone(60_000);
    await simulator.stop();

    const sent = new Map(simulator.devices().map((d) => [d.deviceId, d.telemetry.length]));
    expect([...sent.values()].every((n) => n === 4)).toBe(true);
    const twins = async () =>
      Promise.all(
        devices.map((d) =>
          harness.twin
            .json<TwinConnectivity>(`/devices/${d.deviceId}`, { token: harness.twin.tokens.viewer })
            .then((r) => r.body),
        ),
      );
    let views = await twins();
    for (let i = 0; i < 100 && views.some((v) => v.connectivity.uplinkCount < 4); i++) {
      await new Promise((r) => setTimeout(r, 200));
      views = await twins();
    }
    for (const view of views) {
      expect(view.connectivity.uplinkCount).toBeGreaterThanOrEqual(4);
      expect(view.connectivity.batteryPercent).toEqual(expect.any(Number));
      expect(view.connectivity.lastSeenAt).not.toBeNull();
    }
  });
});
