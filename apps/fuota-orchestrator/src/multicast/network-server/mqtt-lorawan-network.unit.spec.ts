import type { MqttConnection } from '@fleet/messaging';
import { MqttLorawanNetwork, type MqttLorawanSettings } from './mqtt-lorawan-network';

function network(settings: Partial<MqttLorawanSettings> = {}) {
  const published: { topic: string; payload: unknown }[] = [];
  const client = {
    publishAsync: async (topic: string, payload: Buffer) =>
      void published.push({ topic, payload: JSON.parse(payload.toString()) }),
  };
  const connection = { connect: async () => client } as unknown as MqttConnection;
  const adapter = new MqttLorawanNetwork(connection, {
    networkServer: 'chirpstack',
    applicationId: '5e1f1ee7-0000-4000-8000-000000000001',
    ttsTenantId: null,
    ttsGatewayIds: [],
    ...settings,
  });
  return { adapter, published };
}

const frame = { fPort: 201, bytes: Uint8Array.of(8, 1, 0, 0xaa) };

describe('the network server over MQTT', () => {
  it('given ChirpStack, when a fragment is multicast, then it goes to the simulated group DevEUI ffffffff<McAddr>', async () => {
    const { adapter, published } = network();

    await adapter.multicast('01A2B3C4', frame);

    expect(published).toEqual([
      {
        topic: 'application/5e1f1ee7-0000-4000-8000-000000000001/device/ffffffff01a2b3c4/command/down',
        payload: { devEui: 'ffffffff01a2b3c4', confirmed: false, fPort: 201, data: 'CAEAqg==' },
      },
    ]);
  });

  it('given The Things Stack, when a fragment is multicast, then it is pushed to the group’s multicast device through the gateways', async () => {
    const { adapter, published } = network({
      networkServer: 'tts',
      applicationId: 'meters',
      ttsTenantId: 'acme',
      ttsGatewayIds: ['gw-1'],
    });

    await adapter.multicast('01a2b3c4', frame);
    await adapter.unicast(
      { deviceId: 'meter-7', devEui: '0000000000000007', applicationId: 'meters' },
      frame,
    );

    expect(published).toEqual([
      {
        topic: 'v3/meters@acme/devices/fuota-mc-01a2b3c4/down/push',
        payload: {
          downlinks: [
            {
              f_port: 201,
              frm_payload: 'CAEAqg==',
              priority: 'NORMAL',
              class_b_c: { gateways: [{ gateway_ids: { gateway_id: 'gw-1' } }] },
            },
          ],
        },
      },
      {
        topic: 'v3/meters@acme/devices/meter-7/down/push',
        payload: {
          downlinks: [{ f_port: 201, frm_payload: 'CAEAqg==', priority: 'NORMAL', confirmed: false }],
        },
      },
    ]);
  });
});
