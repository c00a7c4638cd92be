import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  jsonEvent,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AllStreamRecordedEvent,
  type AppendExpectedRevision,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import { ConcurrencyError, mapConcurrently, ValidationError, type EventMetadata } from '@fleet/core';
import {
  comparePositions,
  type AppendOutcome,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type GlobalPosition,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type StreamAppend,
  type Subscription,
} from '../event-store.port';
import { describeExpected } from '../shared/retry';
import { matchesStreamFilter, type StreamFilter, streamFilter } from '../shared/stream-filter';
import { EventStoreDbSubscription, type EsdbSubscriptionSource } from './eventstoredb-subscription';

export type EventStoreDbEventStoreOptions = (
  | { readonly connectionString: string }
  /** Owned by the caller: `close()` does not dispose of it. */
  | { readonly client: EventStoreDBClient }
) & {
  /**
   * Prefix of the streams holding subscription checkpoints; default `checkpoint-`. Streams with this
   * prefix are hidden from `readAll` and subscriptions, so domain streams must not use it.
   */
  readonly checkpointStreamPrefix?: string;
};

const DEFAULT_READ_ALL_COUNT = 1000;
/** Events fetched per round trip when a read has to skip system events or other streams. */
const SCAN_CHUNK = 500;

/** Event store on EventStoreDB 22+ through its gRPC client. Positions are EventStoreDB's own. */
export class EventStoreDbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly ownsClient: boolean;
  private readonly checkpointPrefix: string;
  /** Checkpoint streams whose `maxCount` metadata this process has already set. */
  private readonly truncatedCheckpoints = new Set<string>();
  private readonly subscriptions = new Set<Subscription>();

  constructor(options: EventStoreDbEventStoreOptions) {
    this.ownsClient = 'connectionString' in options;
    this.client =
      'connectionString' in options
        ? EventStoreDBClient.connectionString(options.connectionString)
        : options.client;
    this.checkpointPrefix = options.checkpointStreamPrefix ?? 'checkpoint-';
  }

  async append(
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    if (events.length === 0) throw new ValidationError('an append needs at least one event', { stream });
    const data = events.map(({ id, type, data, metadata }) =>
      jsonEvent({ id, type, data, metadata: { ...metadata } }),
    );
    try {
      const result = await this.client.appendToStream(stream, data, {
        expectedRevision: toEsdbExpected(expected),
      });
      const position = result.position ?? (await this.lastEventOf(stream))?.position;
      if (!position) throw new Error(`EventStoreDB returned no position for the append to ${stream}`);
      return { nextExpectedRevision: result.nextExpectedRevision, position };
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      const actual = error.actualVersion === NO_STREAM ? 'no_stream' : error.actualVersion.toString();
      throw new ConcurrencyError(stream, describeExpected(expected), actual);
    }
  }

  /** EventStoreDB has no multi-stream transaction: the appends go side by side, each on its own. */
  appendMany(appends: readonly StreamAppend[]): Promise<AppendOutcome[]> {
    return mapConcurrently(appends, 16, async ({ stream, events, expected }): Promise<AppendOutcome> => {
      try {
        return { ok: true, result: await this.append(stream, events, expected) };
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        return { ok: false, error };
      }
    });
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const filter = streamFilter(options);
    if (filter) return this.readStreamFiltered(stream, options.fromRevision ?? 0n, options.maxCount, filter);
    const events: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(stream, {
        fromRevision: options.fromRevision ?? START,
        ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
      });
      for await (const { event } of read) if (event) events.push(toRecordedEvent(event));
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  /**
   * The server cannot filter a stream read, so this reads forwards a chunk at a time and keeps the
   * events that match (parsing only their metadata first) until `maxCount` of them or the end.
   */
  private async readStreamFiltered(
    stream: string,
    fromRevision: bigint,
    maxCount: number | undefined,
    filter: StreamFilter,
  ): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    if (maxCount !== undefined && maxCount <= 0) return events;
    let next = fromRevision;
    try {
      for (;;) {
        let read = 0;
        for await (const { event, link } of this.client.readStream(stream, {
          fromRevision: next,
          maxCount: SCAN_CHUNK,
        })) {
          read++;
          const recorded = event ?? link;
          if (recorded) next = recorded.revision + 1n;
          if (!event) continue;
          const metadata = parseJson(event.metadata) as EventMetadata;
          if (!matchesStreamFilter({ type: event.type, metadata }, filter)) continue;
          events.push(withMetadata(event, metadata));
          if (maxCount !== undefined && events.length >= maxCount) return events;
        }
        if (read < SCAN_CHUNK) return events;
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return events;
      throw error;
    }
  }

  readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.scan(options.after, options.maxCount ?? DEFAULT_READ_ALL_COUNT, options.streamPrefixes);
  }

  /**
   * Reads `$all` forwards after `after` (EventStoreDB reads from a position inclusively), keeping
   * the events a subscriber would see, until `maxCount` of them or the first one past `until`.
   */
  private async scan(
    after: GlobalPosition | undefined,
    maxCount: number,
    prefixes?: readonly string[],
    until?: GlobalPosition,
  ): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    let cursor = after;
    for (;;) {
      let read = 0;
      for await (const { event } of this.client.readAll({
        fromPosition: cursor ?? START,
        maxCount: SCAN_CHUNK,
      })) {
        read++;
        if (!event || (cursor && comparePositions(event.position, cursor) <= 0)) continue;
        cursor = event.position;
        if (until && comparePositions(event.position, until) > 0) return events;
        if (!this.isVisible(event, prefixes)) continue;
        events.push(toRecordedEvent(event));
        if (events.length >= maxCount) return events;
      }
      if (read < SCAN_CHUNK) return events;
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const checkpoint = await this.readCheckpoint(options.subscriptionId);
    const source: EsdbSubscriptionSource = {
      client: this.client,
      hiddenStreamPrefix: this.checkpointPrefix,
      isVisible: (event) => this.isVisible(event, options.streamPrefixes),
      toRecordedEvent,
      lastPosition: () => this.lastPosition(),
      pending: async (after, until) => (await this.scan(after, 1, options.streamPrefixes, until)).length > 0,
      writeCheckpoint: (position) => this.writeCheckpoint(options.subscriptionId, position),
      stopped: () => this.subscriptions.delete(subscription),
    };
    const subscription = EventStoreDbSubscription.start(source, options, checkpoint);
    this.subscriptions.add(subscription);
    return subscription;
  }

  async readCheckpoint(subscriptionId: string): Promise<GlobalPosition | undefined> {
    const last = await this.lastEventOf(this.checkpointPrefix + subscriptionId);
    const data = last?.data as { commit?: string; prepare?: string } | undefined;
    return data?.commit && data.prepare
      ? { commit: BigInt(data.commit), prepare: BigInt(data.prepare) }
      : undefined;
  }

  async ping(): Promise<void> {
    for await (const _ of this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }))
      void _;
  }

  /** Stops the subscriptions and disposes of the client if the store created it. */
  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    if (this.ownsClient) await this.client.dispose();
  }

  private async writeCheckpoint(subscriptionId: string, position: GlobalPosition): Promise<void> {
    const stream = this.checkpointPrefix + subscriptionId;
    const data = { commit: position.commit.toString(), prepare: position.prepare.toString() };
    await this.client.appendToStream(stream, jsonEvent({ type: 'SubscriptionCheckpoint', data }));
    // Only the latest checkpoint matters; let the server scavenge the others.
    if (!this.truncatedCheckpoints.has(stream)) {
      await this.client.setStreamMetadata(stream, { maxCount: 1 });
      this.truncatedCheckpoints.add(stream);
    }
  }

  private async lastPosition(): Promise<GlobalPosition | undefined> {
    for await (const { event } of this.client.readAll({
      direction: BACKWARDS,
      fromPosition: END,
      maxCount: 1,
    })) {
      if (event) return event.position;
    }
    return undefined;
  }

  private async lastEventOf(stream: string): Promise<RecordedEvent | undefined> {
    const events: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
      for await (const { event } of read) if (event) events.push(toRecordedEvent(event));
    } catch (error) {
      if (error instanceof StreamNotFoundError) return undefined;
      throw error;
    }
    return events[0];
  }

  /** System events and our own checkpoints are never shown to readers or subscribers. */
  private isVisible(event: AllStreamRecordedEvent, prefixes: readonly string[] | undefined): boolean {
    if (event.type.startsWith('$') || event.streamId.startsWith('$')) return false;
    if (event.streamId.startsWith(this.checkpointPrefix)) return false;
    return !prefixes?.length || prefixes.some((prefix) => event.streamId.startsWith(prefix));
  }
}

function toEsdbExpected(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return expected;
  }
}

/** JSON event data and metadata arrive parsed; binary ones as bytes holding JSON. */
function parseJson(value: unknown): unknown {
  return value instanceof Uint8Array ? JSON.parse(Buffer.from(value).toString('utf8')) : value;
}

function toRecordedEvent(event: EsdbRecordedEvent): RecordedEvent {
  return withMetadata(event, parseJson(event.metadata) as EventMetadata);
}

/** The port's event, given the event's metadata already parsed. */
function withMetadata(event: EsdbRecordedEvent, metadata: EventMetadata): RecordedEvent {
  return {
    id: event.id,
    type: event.type,
    data: (parseJson(event.data) ?? {}) as Record<string, unknown>,
    metadata,
    stream: event.streamId,
    revision: event.revision,
    // Stream reads from servers older than 22.10 carry no position; such events still order by revision.
    position: event.position ?? { commit: -1n, prepare: -1n },
    recordedAt: event.created.toISOString(),
  };
}
