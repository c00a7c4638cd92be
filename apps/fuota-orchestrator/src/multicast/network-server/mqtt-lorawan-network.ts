import {
  CHIRPSTACK_UPLINK_FILTER,
  chirpstackDownlink,
  parseChirpstackUplink,
  parseTtsUplink,
  TTS_UPLINK_FILTER,
  ttsDownlink,
  ttsDownlinkTopic,
  type NetworkServerUplink,
} from '@fleet/device-protocol';
import type { MqttConnection } from '@fleet/messaging';
import type { Frame } from '../session-frames';
import type { DownlinkTarget, LorawanNetwork } from './network-server.port';

export interface MqttLorawanSettings {
  readonly networkServer: 'chirpstack' | 'tts';
  /** Application of the multicast group (and of devices without their own). */
  readonly applicationId: string;
  /** The Things Stack tenant; null on The Things Stack Open Source. */
  readonly ttsTenantId: string | null;
  /** The Things Stack: the gateways class C multicast downlinks go out through. */
  readonly ttsGatewayIds: readonly string[];
}

/**
 * DevEUI standing for a multicast group on the simulated ChirpStack integration: ChirpStack's MQTT
 * integration cannot enqueue to a multicast group (its gRPC MulticastGroupService.Enqueue does), so
 * the simulator takes `ffffffff` + McAddr as the group, the way The Things Stack models a group as
 * a multicast end device. Keep in step with apps/simulator/src/lorawan-fuota/multicast-group.ts.
 */
export const multicastGroupEui = (mcAddr: string): string => `ffffffff${mcAddr.toLowerCase()}`;
/** The Things Stack multicast end device of a group (created beforehand with the group's session keys). */
export const ttsMulticastDeviceId = (mcAddr: string): string => `fuota-mc-${mcAddr.toLowerCase()}`;

/**
 * The network server's MQTT integration, on the service's platform account: unicast downlinks as
 * the command dispatcher sends them, multicast ones to the group's device (The Things Stack: a
 * multicast end device, with the gateways it must use; ChirpStack: the simulated group DevEUI, a
 * production deployment would enqueue through gRPC instead), and uplinks from both servers' topics.
 */
export class MqttLorawanNetwork implements LorawanNetwork {
  constructor(
    private readonly connection: MqttConnection,
    private readonly settings: MqttLorawanSettings,
  ) {}

  async unicast(target: DownlinkTarget, frame: Frame): Promise<void> {
    const message =
      this.settings.networkServer === 'chirpstack'
        ? chirpstackDownlink(target.applicationId, target.devEui, frame.fPort, frame.bytes)
        : ttsDownlink(
            {
              applicationId: target.applicationId,
              tenantId: this.settings.ttsTenantId,
              deviceId: target.deviceId,
            },
            frame.fPort,
            frame.bytes,
          );
    await this.publish(message.topic, message.payload);
  }

  async multicast(mcAddr: string, frame: Frame): Promise<void> {
    const { applicationId, ttsTenantId, ttsGatewayIds } = this.settings;
    if (this.settings.networkServer === 'chirpstack') {
      const message = chirpstackDownlink(applicationId, multicastGroupEui(mcAddr), frame.fPort, frame.bytes);
      return this.publish(message.topic, message.payload);
    }
    const downlink = {
      f_port: frame.fPort,
      frm_payload: Buffer.from(frame.bytes).toString('base64'),
      priority: 'NORMAL',
      ...(ttsGatewayIds.length > 0 && {
        class_b_c: { gateways: ttsGatewayIds.map((gateway_id) => ({ gateway_ids: { gateway_id } })) },
      }),
    };
    const address = { applicationId, tenantId: ttsTenantId, deviceId: ttsMulticastDeviceId(mcAddr) };
    await this.publish(
      ttsDownlinkTopic(address, 'push'),
      Buffer.from(JSON.stringify({ downlinks: [downlink] })),
    );
  }

  async listen(handler: (uplink: NetworkServerUplink) => void): Promise<() => Promise<void>> {
    const chirpstack = this.settings.networkServer === 'chirpstack';
    const filter = chirpstack ? CHIRPSTACK_UPLINK_FILTER : TTS_UPLINK_FILTER;
    const prefix = chirpstack ? 'application/' : 'v3/';
    const client = await this.connection.connect();
    const onMessage = (topic: string, payload: Buffer) => {
      if (!topic.startsWith(prefix) || !topic.endsWith('/up')) return;
      let uplink: NetworkServerUplink;
      try {
        uplink = chirpstack ? parseChirpstackUplink(topic, payload) : parseTtsUplink(topic, payload);
      } catch {
        return; // Ingestion dead-letters what does not parse; a session has nothing to learn from it.
      }
      handler(uplink);
    };
    // The connection is clean: after a reconnection the broker has forgotten the subscription.
    const onConnect = () => void client.subscribeAsync(filter, { qos: 1 }).catch(() => undefined);
    client.on('message', onMessage);
    client.on('connect', onConnect);
    await client.subscribeAsync(filter, { qos: 1 });
    return async () => {
      client.off('message', onMessage);
      client.off('connect', onConnect);
      await client.unsubscribeAsync(filter).catch(() => undefined);
    };
  }

  private async publish(topic: string, payload: Buffer): Promise<void> {
    const client = await this.connection.connect();
    await client.publishAsync(topic, payload, { qos: 1 });
  }
}
