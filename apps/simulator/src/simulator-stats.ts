import { emptyMalformedCounts, type MalformedKind } from './device/malformed';

export type DeviceKind = 'always-on' | 'sleepy' | 'lorawan';

/** What one device got through to the broker, so tests can look for each message downstream. */
export interface DeviceRecord {
  readonly deviceId: string;
  readonly kind: DeviceKind;
  /**
   * `measuredAt` (epoch ms, strictly increasing) of each valid `up/telemetry` uplink the broker
   * acknowledged (PUBACK at QoS 1, written at QoS 0). LoRaWAN: the ChirpStack event `time`
   * (ingestion's `receivedAt`), since the compact codec carries no time and `measuredAt` is null.
   */
  readonly telemetry: number[];
  /** The same for `up/state` uplinks (LoRaWAN: the firmware frame on fPort 2). */
  readonly state: number[];
  /** Malformed uplinks acknowledged by the broker, by kind; each should become a dead letter. */
  readonly malformed: Record<MalformedKind, number>;
  /** `up/ack` messages acknowledged: command answers and observe notifications. */
  acks: number;
  /** Downlinks received (`down/command`, `down/config`, or the network server's `command/down`). */
  downlinks: number;
  /** Connected to the broker right now (a sleepy device only while awake; LoRaWAN devices never). */
  online: boolean;
  /** Why the last connection attempt failed, if it did. */
  lastError: string | null;
}

export interface SimulatorCounters {
  devices: number;
  /** Devices connected right now (sleepy devices only while awake; LoRaWAN: the network server). */
  connected: number;
  connects: number;
  /** Connections given up: refused or timed out (the first one after retrying for the login timeout). */
  connectFailures: number;
  /** Connections lost without the simulator closing them. */
  connectionsLost: number;
  uplinksPublished: number;
  uplinksAcknowledged: number;
  /** Publishes the broker refused (MQTT 5) or that were lost with their connection. */
  uplinksFailed: number;
  /** Uplinks due while the device's connection was down (not sent; they do not count as messages). */
  uplinksSkipped: number;
  malformed: Record<MalformedKind, number>;
  downlinks: number;
  /** Downlinks the device could not decode, and commands that arrived after `expiresAt`. */
  invalidDownlinks: number;
  expiredCommands: number;
  acksSent: number;
  notificationsSent: number;
  reboots: number;
  bytesPublished: number;
}

/** Counters of the whole simulation and the per-device record of what was sent. */
export class SimulatorStats {
  readonly counters: SimulatorCounters = {
    devices: 0,
    connected: 0,
    connects: 0,
    connectFailures: 0,
    connectionsLost: 0,
    uplinksPublished: 0,
    uplinksAcknowledged: 0,
    uplinksFailed: 0,
    uplinksSkipped: 0,
    malformed: emptyMalformedCounts(),
    downlinks: 0,
    invalidDownlinks: 0,
    expiredCommands: 0,
    acksSent: 0,
    notificationsSent: 0,
    reboots: 0,
    bytesPublished: 0,
  };
  readonly devices = new Map<string, DeviceRecord>();

  add(deviceId: string, kind: DeviceKind): DeviceRecord {
    const record: DeviceRecord = {
      deviceId,
      kind,
      telemetry: [],
      state: [],
      malformed: emptyMalformedCounts(),
      acks: 0,
      downlinks: 0,
      online: false,
      lastError: null,
    };
    this.devices.set(deviceId, record);
    this.counters.devices++;
    return record;
  }

  /**
   * Counts a publish and waits for the broker: true once it has the message. Never rejects: a
   * failed publish is counted, and the device carries on.
   */
  async track(publish: Promise<void>, bytes: number): Promise<boolean> {
    this.counters.uplinksPublished++;
    this.counters.bytesPublished += bytes;
    try {
      await publish;
    } catch {
      this.counters.uplinksFailed++;
      return false;
    }
    this.counters.uplinksAcknowledged++;
    return true;
  }

  /** A copy of the counters, for printing. */
  snapshot(): SimulatorCounters {
    return { ...this.counters, malformed: { ...this.counters.malformed } };
  }
}
