import type { QueryResult } from 'pg';
import type { Tx } from './transaction';

/**
 * Exactly-once per Kafka offset: a partition's next offset is stored in the same transaction as
 * the effects of the batch that advanced it, so a redelivered batch (after a crash or a
 * rebalance) is recognised and its already-applied prefix skipped.
 */
export class OffsetLedger {
  constructor(private readonly table: string) {}

  /**
   * Begins the batch's transaction, takes `sharedLock` (an advisory lock key, shared) and locks
   * the partition's row, in one round trip; returns the first offset not applied yet: the batch's
   * messages from there on are new (none when it is past the batch's last offset).
   */
  async open(tx: Tx, topic: string, partition: number, sharedLock: string): Promise<bigint> {
    // Literals rather than parameters: several statements go in one simple query.
    const results = (await tx.query(
      `begin;
       select pg_advisory_xact_lock_shared(${sharedLock});
       insert into ${this.table} as o (topic, partition, next_offset) values (${literal(topic)}, ${Math.trunc(partition)}, 0)
       on conflict (topic, partition) do update set next_offset = o.next_offset returning o.next_offset`,
    )) as unknown as QueryResult<{ next_offset: string }>[];
    return BigInt(results[2]?.rows[0]?.next_offset ?? 0);
  }

  /** Stores the partition's next offset and commits, in one round trip. */
  async commit(tx: Tx, topic: string, partition: number, lastOffset: bigint): Promise<void> {
    await tx.query(
      `update ${this.table} set next_offset = ${String(lastOffset + 1n)}
       where topic = ${literal(topic)} and partition = ${Math.trunc(partition)};
       commit`,
    );
  }
}

/** A string literal (standard_conforming_strings: only quotes need doubling). */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
