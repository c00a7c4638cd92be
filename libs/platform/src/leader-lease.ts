import { Logger } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';

const RETRY_MS = 2_000;

/**
 * Work that one replica of a service must do alone (relaying a stream category to Kafka, keeping a
 * shared checkpoint): held through a PostgreSQL session advisory lock named after the work. The
 * first replica to take it runs the work; the others try again every 2 s and take over when the
 * holder stops or its connection dies (PostgreSQL releases the lock with the session).
 */
export class LeaderLease {
  private readonly logger = new Logger(LeaderLease.name);
  private holder?: PoolClient;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private running?: Promise<void>;

  constructor(
    private readonly pool: Pool,
    private readonly name: string,
    private readonly work: { start(): Promise<void>; stop(): Promise<void> },
  ) {}

  get held(): boolean {
    return this.holder !== undefined;
  }

  /** Tries once now (so a single replica starts its work before it reports ready), then keeps trying. */
  async start(): Promise<void> {
    await this.attempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.release();
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    this.running = this.tryAcquire().catch((error: unknown) =>
      this.logger.warn({ err: error, lease: this.name }, 'could not take the lease; retrying'),
    );
    await this.running;
    this.running = undefined;
    if (!this.holder && !this.stopped) this.timer = setTimeout(() => void this.attempt(), RETRY_MS);
  }

  private async tryAcquire(): Promise<void> {
    const client = await this.pool.connect();
    const { rows } = await client
      .query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [this.name])
      .catch((error: unknown) => {
        client.release();
        throw error;
      });
    if (!rows[0]?.locked) {
      client.release();
      return;
    }
    this.holder = client;
    client.on('error', (error) => void this.lost(error));
    this.logger.log({ lease: this.name }, 'lease taken; this replica runs the work');
    try {
      await this.work.start();
    } catch (error) {
      // Holding the lease without doing the work would stall it for every replica: let it go.
      await this.release().catch(() => undefined);
      throw error;
    }
  }

  private async lost(error: unknown): Promise<void> {
    this.logger.error({ err: error, lease: this.name }, 'lease connection lost; stopping the work');
    this.holder?.release(true);
    this.holder = undefined;
    await this.work.stop().catch(() => undefined);
    if (!this.stopped) this.timer = setTimeout(() => void this.attempt(), RETRY_MS);
  }

  private async release(): Promise<void> {
    const holder = this.holder;
    if (!holder) return;
    this.holder = undefined;
    await this.work.stop();
    await holder.query('SELECT pg_advisory_unlock(hashtext($1))', [this.name]).catch(() => undefined);
    holder.release();
  }
}
