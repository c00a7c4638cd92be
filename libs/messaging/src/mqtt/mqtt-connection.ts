import { connectAsync, type MqttClient } from 'mqtt';

export interface MqttSettings {
  readonly url: string;
  /** Client id; unique per process so replicas do not take over each other's session. */
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
}

/**
 * One MQTT connection per service process, reconnecting on its own. Readiness reports it down
 * while the broker is unreachable.
 */
export class MqttConnection {
  /** The promise, not the client: concurrent first callers must share one connection (two
   * connections with the same client id would keep taking each other's session over). */
  private client?: Promise<MqttClient>;

  constructor(private readonly settings: MqttSettings) {}

  connect(): Promise<MqttClient> {
    this.client ??= connectAsync(this.settings.url, {
      clientId: this.settings.clientId,
      username: this.settings.username,
      password: this.settings.password,
      protocolVersion: 5,
      reconnectPeriod: 1_000,
      connectTimeout: 5_000,
      clean: true,
    }).catch((error: unknown) => {
      this.client = undefined; // the next caller tries again
      throw error;
    });
    return this.client;
  }

  /** Throws unless connected right now. */
  async check(): Promise<void> {
    const client = await this.connect();
    if (!client.connected) throw new Error(`not connected to ${this.settings.url}`);
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.then((c) => c.endAsync()).catch(() => undefined);
  }
}
