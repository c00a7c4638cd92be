import type { Notification, Pool, PoolClient } from 'pg';

interface Connection {
  client: PoolClient;
  onNotification(message: Notification): void;
  onError(error: Error): void;
}

/**
 * One LISTEN connection per store, shared by its subscriptions and held only while at least one
 * is running. Notifications only shorten the wait: subscribers poll anyway, so a lost connection
 * costs latency, never events, and is re-established by the next `reconnect()`.
 */
export class PgNotifier {
  private readonly listeners = new Set<() => void>();
  private connection: Connection | undefined;
  private connecting: Promise<void> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly channel: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Calls `listener` on each notification until the returned function is called. */
  async listen(listener: () => void): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    await this.reconnect();
    return async () => {
      this.listeners.delete(listener);
      await this.disconnectIfUnused();
    };
  }

  /** Re-establishes a lost LISTEN connection; cheap when it is up. Never throws. */
  async reconnect(): Promise<void> {
    if (this.connection || this.listeners.size === 0) return;
    this.connecting ??= this.open()
      .catch((error: unknown) => this.onError(error))
      .finally(() => (this.connecting = undefined));
    await this.connecting;
  }

  private async open(): Promise<void> {
    const client = await this.pool.connect();
    const connection: Connection = {
      client,
      onNotification: (message) => {
        if (message.channel === this.channel) this.listeners.forEach((listener) => listener());
      },
      onError: (error) => {
        this.onError(error);
        this.detach(connection);
        client.release(error);
      },
    };
    client.on('notification', connection.onNotification);
    client.on('error', connection.onError);
    try {
      await client.query(`listen "${this.channel}"`);
    } catch (error) {
      this.detach(connection);
      client.release(error instanceof Error ? error : true);
      throw error;
    }
    this.connection = connection;
  }

  private async disconnectIfUnused(): Promise<void> {
    await this.connecting;
    const connection = this.connection;
    if (!connection || this.listeners.size > 0) return;
    this.detach(connection);
    try {
      await connection.client.query(`unlisten "${this.channel}"`);
      connection.client.release();
    } catch (error) {
      connection.client.release(error instanceof Error ? error : true);
    }
  }

  private detach(connection: Connection): void {
    if (this.connection === connection) this.connection = undefined;
    connection.client.removeListener('notification', connection.onNotification);
    connection.client.removeListener('error', connection.onError);
  }
}
