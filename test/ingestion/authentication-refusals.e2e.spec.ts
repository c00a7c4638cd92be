import { chirpstackLogMessage } from '@fleet/device-protocol';
import { testInfrastructure } from '@fleet/testing';
import { connectAsync } from 'mqtt';
import { AlertingHarness } from '../support/alerting-harness';
import { IngestionHarness, type ProvisionedDevice } from '../support/ingestion-harness';

const APPLICATION_ID = '17c82e96-be03-4f38-aef3-f83d48582d97';
const TENANT_ID = '52f14cd4-c6f1-4fbd-8f87-4025e1d49242';

// Failed authentications as a device, from where they happen to the alert an operator sees: the
// broker's refused logins (read from its $SYS log) and a network server's MIC and join failures
// (ChirpStack log events), published by ingestion on the device-access topic, counted by alerting.
describe('ingestion: failed authentications as a device reach the device-access topic and alerting', () => {
  const ingestion = new IngestionHarness();
  const alerting = new AlertingHarness();
  let lora: ProvisionedDevice;
  let meter: ProvisionedDevice;

  beforeAll(async () => {
    await ingestion.start();
    await alerting.start({
      DEVICE_ACCESS_TOPIC: ingestion.deviceAccessTopic,
      DEVICE_EVENTS_TOPIC: ingestion.deviceEventsTopic,
    });
    [lora] = (await ingestion.provisionLorawan(1)) as [ProvisionedDevice];
    [meter] = (await ingestion.provision(1)) as [ProvisionedDevice];
    // The meter logs in once, so its activation reached the broker before the wrong passwords.
    await (await ingestion.connectDevice(meter)).endAsync();
  });
  afterAll(async () => {
    await alerting.stop();
    await ingestion.stop();
  });

  it('raises an alert on a LoRaWAN device after five frames fail their MIC, and ignores other log events', async () => {
    const ruleId = await alerting.createRule({
      name: 'Authentication refused',
      severity: 'critical',
      condition: {
        kind: 'event',
        source: 'device-access',
        eventTypes: ['DeviceAuthenticationRefused'],
        count: 5,
        withinSeconds: 600,
      },
    });
    const chirpstack = await ingestion.connectAccount('ns-chirpstack');
    const log = (code: string) =>
      chirpstackLogMessage({
        time: Date.now(),
        tenantId: TENANT_ID,
        applicationId: APPLICATION_ID,
        devEui: lora.devEui!,
        level: 'ERROR',
        code,
        description: code === 'UPLINK_MIC' ? 'Invalid MIC' : 'Codec error',
      });
    const send = async (code: string) => {
      const { topic, payload } = log(code);
      await chirpstack.publishAsync(topic, payload, { qos: 1 });
    };
    for (let i = 0; i < 4; i++) await send('UPLINK_MIC');
    await send('UPLINK_CODEC');
    await ingestion.until(() => loraRefusals().length === 4, 15_000, 'four refusals');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await alerting.alerts(`ruleId=${ruleId}`)).toEqual([]);

    await send('UPLINK_MIC');
    const [alert] = await alerting.waitForAlerts(`ruleId=${ruleId}`, (a) => a.length === 1);
    expect(alert).toMatchObject({ deviceId: lora.deviceId, status: 'open', severity: 'critical' });
    expect(loraRefusals()).toHaveLength(5);
    expect(loraRefusals()[0]).toMatchObject({
      key: lora.deviceId,
      deviceId: lora.deviceId,
      transport: 'lorawan',
      observedBy: 'chirpstack',
      reason: 'frame-mic-invalid',
      devEui: lora.devEui,
      detail: 'UPLINK_MIC: Invalid MIC',
    });
    expect(await ingestion.outcomeCount('ignored', 'chirpstack-log-not-authentication')).toBe(1);
  });

  it("publishes the broker's refused logins, attributed to the device when the broker names its client", async () => {
    const before = mqttRefusals().length;
    for (let i = 0; i < 3; i++) {
      await expect(
        connectAsync(testInfrastructure.mqttUrl, {
          username: meter.deviceId,
          password: 'not-the-secret',
          clientId: meter.deviceId,
          reconnectPeriod: 0,
          connectTimeout: 3_000,
        }),
      ).rejects.toThrow(/Not authorized|not authorised/i);
    }
    await ingestion.until(() => mqttRefusals().length >= before + 3, 15_000, 'three refused logins');
    for (const refusal of mqttRefusals().slice(before)) {
      expect(refusal).toMatchObject({
        transport: 'mqtt',
        observedBy: 'mosquitto',
        reason: 'bad-credentials',
      });
      expect(refusal.detail).toMatch(/not authorised\.$/);
      // Debian's Mosquitto 2.0.11 logs "Client <unknown>": no client id, so no device. A broker that
      // logs client ids must have the refusal attributed to the device the client id names.
      if (refusal.clientId === null) expect(refusal.deviceId).toBeNull();
      else if (refusal.clientId === meter.deviceId)
        expect(refusal).toMatchObject({ deviceId: meter.deviceId, key: meter.deviceId });
    }
  });

  const loraRefusals = () => ingestion.refusals.filter((r) => r.devEui === lora.devEui);
  const mqttRefusals = () => ingestion.refusals.filter((r) => r.transport === 'mqtt');
});
