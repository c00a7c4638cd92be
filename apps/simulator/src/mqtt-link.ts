// The simulator plays the devices, so the MQTT client is its I/O; this is the one file that uses it.
import { connect, type IClientOptions, type MqttClient } from 'mqtt';

const CLOSE_TIMEOUT_MS = 5_000;

export interface LinkOptions {
  readonly url: string;
  readonly clientId: string;
  readonly username: string;
  readonly password: string;
  readonly protocolVersion: 4 | 5;
  /** false keeps the session (subscriptions, queued QoS 1 messages) while disconnected. */
  readonly clean: boolean;
  /** MQTT 5 only: how long the broker keeps a kept session after disconnection. */
  readonly sessionExpirySeconds?: number;
  readonly connectTimeoutMs?: number;
  /**
   * Called for every message, with the link to answer on; also for the queued messages the broker
   * delivers right after CONNACK, possibly before {@link MqttLink.open} has resolved.
   */
  readonly onMessage: (message: IncomingMessage, link: MqttLink) => void;
  /** Called once when the connection is lost (not after {@link MqttLink.close}). */
  readonly onLost?: (error: Error | undefined) => void;
}

export interface IncomingMessage {
  readonly topic: string;
  readonly payload: Buffer;
  /** MQTT 5 content type, when the sender set one. */
  readonly contentType?: string;
}

/** One MQTT connection that is never re-established by itself: the owner decides when to come back. */
export class MqttLink {
  private closing = false;
  /** CONNACK's session-present flag: the broker still had this client's subscriptions. */
  sessionPresent = false;

  private constructor(private readonly client: MqttClient) {}

  /** @throws Error when the broker refuses the login or does not answer in time */
  static open(options: LinkOptions): Promise<MqttLink> {
    const settings: IClientOptions = {
      clientId: options.clientId,
      username: options.username,
      password: options.password,
      protocolVersion: options.protocolVersion,
      clean: options.clean,
      reconnectPeriod: 0,
      connectTimeout: options.connectTimeoutMs ?? 5_000,
      keepalive: 60,
      ...(options.protocolVersion === 5 && options.sessionExpirySeconds !== undefined
        ? { properties: { sessionExpiryInterval: options.sessionExpirySeconds } }
        : {}),
    };
    // connect() rather than connectAsync(): the handler must be in place before queued messages arrive.
    const client = connect(options.url, settings);
    const link = new MqttLink(client);
    client.on('message', (topic, payload, packet) => {
      const contentType = packet.properties?.contentType;
      options.onMessage({ topic, payload, ...(contentType === undefined ? {} : { contentType }) }, link);
    });
    return new Promise((resolve, reject) => {
      let connected = false;
      let lastError: Error | undefined;
      client.on('error', (error) => (lastError = error));
      client.once('connect', (connack) => {
        connected = true;
        link.sessionPresent = connack.sessionPresent;
        resolve(link);
      });
      client.on('close', () => {
        if (!connected) {
          reject(lastError ?? new Error(`no connection to ${options.url}`));
          client.end(true);
        } else if (!link.closing) {
          link.closing = true;
          options.onLost?.(lastError);
        }
      });
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /**
   * Resolves when the broker has the message: PUBACK for QoS 1, written to the socket for QoS 0.
   * @throws Error when the connection drops first, or (MQTT 5) the broker refuses it
   */
  publish(topic: string, payload: Buffer, qos: 0 | 1, contentType?: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const properties = contentType === undefined ? undefined : { contentType };
      this.client.publish(topic, payload, { qos, ...(properties ? { properties } : {}) }, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  }

  async subscribe(filter: string): Promise<void> {
    const granted = await this.client.subscribeAsync(filter, { qos: 1 });
    const refused = granted.find((g) => g.qos === 128);
    if (refused) throw new Error(`subscription to ${filter} refused`);
  }

  /** Disconnects cleanly, after in-flight QoS 1 messages are acknowledged (unless `force`). */
  async close(force = false): Promise<void> {
    this.closing = true;
    if (force) return this.client.endAsync(true);
    // A broker that stopped answering would keep a graceful close waiting for PUBACKs forever.
    const timer = setTimeout(() => this.client.end(true), CLOSE_TIMEOUT_MS);
    await this.client.endAsync(false).finally(() => clearTimeout(timer));
  }
}
