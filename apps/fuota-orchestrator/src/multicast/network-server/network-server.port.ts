import type { NetworkServerUplink } from '@fleet/device-protocol';
import type { Frame } from '../session-frames';

/** Where a device's unicast downlinks go: its DevEUI, and its network-server ids. */
export interface DownlinkTarget {
  readonly deviceId: string;
  readonly devEui: string;
  /** ChirpStack application (or The Things Stack application id) of the device. */
  readonly applicationId: string;
}

export const LORAWAN_NETWORK = Symbol('LORAWAN_NETWORK');

/**
 * What a multicast session needs of the LoRaWAN network server. Unicast goes through the
 * network server's queue (class A: delivered after the device's next uplink); multicast is sent
 * to the group at once (class C). Uplinks of every device arrive here while someone listens.
 */
export interface LorawanNetwork {
  /** Queues one downlink for one device. */
  unicast(target: DownlinkTarget, frame: Frame): Promise<void>;
  /** Sends one downlink to the multicast group of `mcAddr` (its devices in class C receive it). */
  multicast(mcAddr: string, frame: Frame): Promise<void>;
  /**
   * Delivers every LoRaWAN uplink to `handler` until the returned function is called. The
   * handler sees all devices' uplinks and picks those of its sessions.
   */
  listen(handler: (uplink: NetworkServerUplink) => void): Promise<() => Promise<void>>;
}
