import type { IPublishPacket, MqttClient, Packet } from 'mqtt';

type SendPacket = (packet: Packet, callback?: () => void, ...rest: unknown[]) => void;

interface Entry {
  readonly messageId: number;
  settled: boolean;
  puback?: Packet;
}

/**
 * Holds back the PUBACK of each QoS 1 message until the application settles it (ingestion: once
 * Kafka acknowledged the record), while mqtt.js goes on reading the next messages.
 *
 * mqtt.js's own hooks for this (`customHandleAcks`, `handleMessage`) stop its packet loop until
 * the acknowledgement is sent, which allows one message in flight per connection. So the client's
 * PUBACKs are intercepted on their way out and released in arrival order — the order MQTT
 * requires — once settled. This relies on mqtt.js's internal `_sendPacket` (checked by
 * test/ingestion: a message not yet in Kafka is redelivered after a crash).
 * After a reconnect the broker resends whatever was not acknowledged, so held entries of the
 * old connection are dropped.
 */
export class DeferredAcks {
  private entries: Entry[] = [];
  /** Index of the oldest unreleased entry (shifting the array per release would be quadratic). */
  private head = 0;
  private waiter?: { readonly limit: number; readonly resume: () => void };
  /** Bumped on every disconnect: settling an entry of an older connection does nothing. */
  private generation = 0;
  private readonly send: SendPacket;

  constructor(client: MqttClient) {
    const internals = client as unknown as { _sendPacket: SendPacket };
    this.send = internals._sendPacket.bind(client);
    internals._sendPacket = (packet, callback, ...rest) => {
      if (packet.cmd === 'puback' && this.hold(packet)) {
        callback?.(); // let mqtt.js read on; the real PUBACK goes out when settled
        return;
      }
      this.send(packet, callback, ...rest);
    };
    client.on('close', () => {
      this.entries = [];
      this.head = 0;
      this.generation++;
      this.wake();
    });
  }

  /** How many QoS 1 messages wait for their acknowledgement. */
  get pending(): number {
    return this.entries.length - this.head;
  }

  /**
   * Runs `resume` once fewer than `limit` messages wait (at once if that is already so). The
   * caller holds mqtt.js's packet loop meanwhile, so the socket stops being read and the broker
   * keeps the rest: Mosquitto 2.0 does not honour a client's MQTT 5 receive maximum.
   */
  whenBelow(limit: number, resume: () => void): void {
    if (this.pending < limit) return resume();
    this.waiter = { limit, resume };
  }

  private wake(): void {
    const waiter = this.waiter;
    if (!waiter || (this.pending >= waiter.limit && this.entries.length > 0)) return;
    this.waiter = undefined;
    waiter.resume();
  }

  /** Call when a QoS 1 message arrives; the returned function settles it (idempotent). */
  track(packet: IPublishPacket): () => void {
    if (packet.qos !== 1 || packet.messageId === undefined) return () => undefined;
    const entry: Entry = { messageId: packet.messageId, settled: false };
    const generation = this.generation;
    this.entries.push(entry);
    return () => {
      if (entry.settled) return;
      entry.settled = true;
      if (generation === this.generation) this.release();
    };
  }

  private hold(puback: Packet): boolean {
    const messageId = (puback as { messageId?: number }).messageId;
    let entry: Entry | undefined;
    for (let i = this.entries.length - 1; i >= this.head && !entry; i--) {
      const candidate = this.entries[i];
      if (candidate && candidate.messageId === messageId && !candidate.puback) entry = candidate;
    }
    if (!entry) return false;
    entry.puback = puback;
    this.release();
    return true;
  }

  private release(): void {
    for (
      let entry = this.entries[this.head];
      entry?.settled && entry.puback;
      entry = this.entries[this.head]
    ) {
      this.send(entry.puback);
      this.head++;
    }
    if (this.head > 1_024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    this.wake();
  }
}
