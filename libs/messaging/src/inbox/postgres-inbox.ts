import type { Pool, PoolClient } from 'pg';

/**
 * Makes a Kafka handler idempotent by event id: the id is recorded in the same transaction as
 * the handler's own writes, so a redelivered message (at-least-once delivery) changes nothing.
 */
export class PostgresInbox {
  constructor(
    private readonly pool: Pool,
    private readonly schema = 'messaging',
  ) {}

  async ensureSchema(): Promise<void> {
    await this.pool.query(`
      create schema if not exists ${this.schema};
      create table if not exists ${this.schema}.inbox (
        consumer text not null,
        message_id text not null,
        handled_at timestamptz not null default now(),
        primary key (consumer, message_id)
      )`);
  }

  /**
   * Runs `work` in a transaction unless `messageId` was already handled by `consumer`.
   * @returns true when the work ran, false for a duplicate.
   */
  async handleOnce(
    consumer: string,
    messageId: string,
    work: (tx: PoolClient) => Promise<void>,
  ): Promise<boolean> {
    const tx = await this.pool.connect();
    try {
      await tx.query('begin');
      const inserted = await tx.query(
        `insert into ${this.schema}.inbox (consumer, message_id) values ($1, $2) on conflict do nothing`,
        [consumer, messageId],
      );
      if (inserted.rowCount === 0) {
        await tx.query('rollback');
        return false;
      }
      await work(tx);
      await tx.query('commit');
      return true;
    } catch (error) {
      await tx.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      tx.release();
    }
  }
}
