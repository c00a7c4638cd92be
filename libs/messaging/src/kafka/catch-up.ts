import { backoffDelay, sleep } from '@fleet/core';
import type { Kafka } from 'kafkajs';

/** A new group's coordinator takes a moment to be elected; kafkajs says so with retriable errors. */
async function retrying<T>(operation: () => Promise<T>, attempts = 10): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= attempts || (error as { retriable?: boolean }).retriable !== true) throw error;
      await sleep(backoffDelay(attempt, { maxMs: 3_000 }));
    }
  }
}

/**
 * Tracks whether a consumer has reached the end each partition had when we started, so uplinks
 * are not judged (and refused as unknown) against a directory that is still catching up.
 */
export class CatchUp {
  readonly done: Promise<void>;
  private resolve!: () => void;

  private constructor(private readonly remaining: Map<number, bigint>) {
    this.done = new Promise((resolve) => (this.resolve = resolve));
    if (remaining.size === 0) this.resolve();
  }

  static async of(kafka: Kafka, topic: string, groupId: string): Promise<CatchUp> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      const [committed] = await retrying(() => admin.fetchOffsets({ groupId, topics: [topic] }));
      const next = new Map(committed?.partitions.map((p) => [p.partition, BigInt(p.offset)]) ?? []);
      const remaining = new Map<number, bigint>();
      for (const { partition, high, low } of offsets) {
        // `high` is the next offset to be written; the group's committed offset is the next to read.
        const from = next.get(partition) ?? -1n;
        const start = from >= 0n ? from : BigInt(low);
        if (BigInt(high) > start) remaining.set(partition, BigInt(high) - 1n);
      }
      return new CatchUp(remaining);
    } finally {
      await admin.disconnect();
    }
  }

  reached(partition: number, offset: string): void {
    const target = this.remaining.get(partition);
    if (target === undefined || BigInt(offset) < target) return;
    this.remaining.delete(partition);
    if (this.remaining.size === 0) this.resolve();
  }
}
