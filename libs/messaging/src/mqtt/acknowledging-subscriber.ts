import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { DeferredAcks } from './deferred-acks';

/** One MQTT message; `settle` acknowledges it to the broker (QoS 1), in arrival order. */
export interface ReceivedMqttMessage {
  readonly topic: string;
  readonly payload: Buffer;
  /** MQTT 5 content type, when the publisher set one. */
  readonly contentType: string | undefined;
  readonly receivedAt: number;
  readonly settle: () => void;
}

export interface AcknowledgingSubscriberOptions {
  /**
   * How long the broker keeps each session, and queues its messages, while its replica is away;
   * default one day. Short-lived processes (tests) set it short, or the broker keeps queueing
   * every uplink for sessions nobody will resume.
   */
  readonly sessionExpirySeconds?: number;
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** Stable per replica and connection: the broker keeps unacknowledged messages in the session. */
  readonly clientIdPrefix: string;
  readonly connections: number;
  /** MQTT 5 receive maximum: the broker sends no more unacknowledged QoS 1 messages than this. */
  readonly maxInFlight: number;
  readonly topicFilters: readonly string[];
  readonly onError: (error: Error, clientId: string) => void;
}

/** A day: long enough to survive a crash-loop, short enough that a removed replica's queue expires. */
const SESSION_EXPIRY_SECONDS = 24 * 60 * 60;

/**
 * Several persistent MQTT 5 sessions sharing the uplink subscriptions, each acknowledging a
 * message only when the pipeline settles it. Once `maxInFlight` messages of a connection are
 * unsettled, it stops reading its socket and the broker holds the rest in the session queue.
 */
export class AcknowledgingSubscriber {
  private readonly clients: MqttClient[] = [];
  private readonly acks: DeferredAcks[] = [];

  constructor(private readonly options: AcknowledgingSubscriberOptions) {}

  get pending(): number {
    return this.acks.reduce((sum, a) => sum + a.pending, 0);
  }

  get connected(): boolean {
    return this.clients.length > 0 && this.clients.every((c) => c.connected);
  }

  async start(deliver: (uplink: ReceivedMqttMessage) => void): Promise<void> {
    for (let i = 0; i < this.options.connections; i++) {
      const clientId = `${this.options.clientIdPrefix}-${i}`;
      const client = connect(this.options.url, this.clientOptions(clientId));
      const acks = new DeferredAcks(client);
      client.handleMessage = (packet: IPublishPacket, callback: (error?: Error) => void) => {
        deliver({
          topic: packet.topic,
          payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
          contentType: packet.properties?.contentType,
          receivedAt: Date.now(),
          settle: acks.track(packet),
        });
        // Bounded in flight: mqtt.js reads the next packet only after this callback.
        acks.whenBelow(this.options.maxInFlight, () => callback());
      };
      client.on('error', (error) => this.options.onError(error, clientId));
      client.on('connect', () => {
        client
          .subscribeAsync([...this.options.topicFilters], { qos: 1 })
          .catch((error: Error) => this.options.onError(error, clientId));
      });
      this.clients.push(client);
      this.acks.push(acks);
    }
    await Promise.all(
      this.clients.map(
        (client) =>
          new Promise<void>((resolve) =>
            client.connected ? resolve() : client.once('connect', () => resolve()),
          ),
      ),
    );
  }

  /** Stops taking messages; what is unsettled stays with the broker for the next start. */
  async stop(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.endAsync()));
    this.clients.length = 0;
    this.acks.length = 0;
  }

  private clientOptions(clientId: string): IClientOptions {
    return {
      clientId,
      username: this.options.username,
      password: this.options.password,
      protocolVersion: 5,
      clean: false,
      reconnectPeriod: 1_000,
      connectTimeout: 5_000,
      keepalive: 30,
      properties: {
        sessionExpiryInterval: this.options.sessionExpirySeconds ?? SESSION_EXPIRY_SECONDS,
        receiveMaximum: this.options.maxInFlight,
      },
    };
  }
}
