import { connectAsync, type MqttClient } from 'mqtt';
import type { MqttSettings } from './mqtt-connection';

/** Mosquitto publishes its notice-level log lines here when configured with `log_dest topic`. */
export const MOSQUITTO_NOTICE_LOG_TOPIC = '$SYS/broker/log/N';
/** Log lines are short; a longer payload is not a line of the broker's. */
const MAX_LINE_BYTES = 2_048;

/**
 * Reads Mosquitto's own log lines from `$SYS/broker/log/N`, at most once (QoS 0, clean session:
 * the broker keeps no history of them), reconnecting on its own.
 */
export class MosquittoLogReader {
  private client?: MqttClient;

  constructor(private readonly settings: MqttSettings) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** @throws when the broker cannot be reached or refuses the subscription (account lacks access) */
  async start(onLine: (line: string) => void, onError: (error: Error) => void): Promise<void> {
    const client = await connectAsync(this.settings.url, {
      clientId: this.settings.clientId,
      username: this.settings.username,
      password: this.settings.password,
      protocolVersion: 5,
      clean: true,
      reconnectPeriod: 2_000,
      connectTimeout: 5_000,
    });
    client.on('error', onError);
    client.on('message', (_topic, payload) => {
      if (payload.length <= MAX_LINE_BYTES) onLine(payload.toString('utf8'));
    });
    const [granted] = await client.subscribeAsync(MOSQUITTO_NOTICE_LOG_TOPIC, { qos: 0 });
    if (!granted || granted.qos > 2) {
      await client.endAsync(true);
      throw new Error(`the broker refused the subscription to ${MOSQUITTO_NOTICE_LOG_TOPIC}`);
    }
    this.client = client;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.endAsync(true).catch(() => undefined);
  }
}
