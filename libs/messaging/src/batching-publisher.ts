import { backoffDelay, sleep } from '@fleet/core';
import type { MessagePublisher, OutgoingMessage } from './messaging.port';
import { chunkMessages } from './relay/event-relay';

interface Queued {
  readonly message: OutgoingMessage;
  readonly done: () => void;
}

export interface BatchingPublisherOptions {
  readonly maxBatch: number;
  /** How long an idle topic waits for more records before sending a lone one. */
  readonly lingerMs: number;
  readonly onSendError: (error: unknown, topic: string, attempt: number) => void;
  readonly onSent?: (topic: string, count: number, ms: number) => void;
}

/**
 * Gathers records per topic and sends them in batches, one send in flight per topic: while a send
 * waits for Kafka, the next batch fills up, so batches grow with load by themselves. A failed send
 * is retried with backoff and never dropped; its records' callbacks wait, and so do the MQTT
 * acknowledgements behind them (the broker then stops sending: backpressure).
 */
export class BatchingPublisher {
  private readonly queues = new Map<string, Queued[]>();
  private readonly sending = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly publisher: MessagePublisher,
    private readonly options: BatchingPublisherOptions,
  ) {}

  /** Queues a record; `done` runs once Kafka has acknowledged it. */
  add(topic: string, message: OutgoingMessage, done: () => void): void {
    let queue = this.queues.get(topic);
    if (!queue) this.queues.set(topic, (queue = []));
    queue.push({ message, done });
    if (this.sending.has(topic)) return;
    if (queue.length >= this.options.maxBatch || this.options.lingerMs === 0) void this.drain(topic);
    else if (!this.timers.has(topic)) {
      this.timers.set(
        topic,
        setTimeout(() => void this.drain(topic), this.options.lingerMs),
      );
    }
  }

  get queued(): number {
    let total = 0;
    for (const queue of this.queues.values()) total += queue.length;
    return total;
  }

  /** Stops retrying; what was not sent is left to the broker's redelivery. */
  stop(): void {
    this.stopped = true;
    this.timers.forEach((timer) => clearTimeout(timer));
  }

  private async drain(topic: string): Promise<void> {
    clearTimeout(this.timers.get(topic));
    this.timers.delete(topic);
    if (this.sending.has(topic)) return;
    this.sending.add(topic);
    try {
      for (;;) {
        const queue = this.queues.get(topic);
        if (!queue || queue.length === 0 || this.stopped) return;
        const batch = queue.splice(0, this.options.maxBatch);
        if (!(await this.send(topic, batch))) return;
        batch.forEach((q) => q.done());
      }
    } finally {
      this.sending.delete(topic);
    }
  }

  /**
   * Sends in produce requests small enough for the broker (a batch of dead letters with raw
   * payloads can be megabytes); @returns false when stopped before Kafka took the batch.
   */
  private async send(topic: string, batch: readonly Queued[]): Promise<boolean> {
    for (const chunk of chunkMessages(batch.map((q) => q.message))) {
      if (!(await this.sendChunk(topic, chunk))) return false;
    }
    return true;
  }

  private async sendChunk(topic: string, chunk: readonly OutgoingMessage[]): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      try {
        await this.publisher.publish(topic, chunk);
        this.options.onSent?.(topic, chunk.length, Date.now() - started);
        return true;
      } catch (error) {
        if (this.stopped) return false;
        this.options.onSendError(error, topic, attempt);
        await sleep(backoffDelay(attempt, { maxMs: 5_000 }));
      }
    }
  }
}
