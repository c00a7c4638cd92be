import { ConcurrencyError, ConflictError, ValidationError } from '@fleet/core';
import type { ClientBase, Pool } from 'pg';
import type {
  AppendOutcome,
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  GlobalPosition,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  StreamAppend,
  Subscription,
} from '../event-store.port';
import { describeExpected } from '../shared/retry';
import { type BulkEvent, copyEvents } from './bulk-read';
import { streamFilter } from '../shared/stream-filter';
import { PgNotifier } from './pg-notifier';
import { type LogPage, PostgresSubscription, type SubscriptionSource } from './postgres-subscription';
import { DEFAULT_SCHEMA, notifyChannel, schemaSql } from './schema.sql';
import {
  type AppendBatchRow,
  type AppendRow,
  type EventRow,
  PostgresStatements,
  toRecordedEvent,
} from './statements';

export interface BulkRead {
  /**
   * Where the read ends (undefined for an empty log): `readAll({ after: position })` continues it
   * without a gap or a repeat.
   */
  readonly position: GlobalPosition | undefined;
  /** The events, a batch at a time; iterate once. Stopping early closes the read's connection. */
  readonly batches: AsyncIterable<BulkEvent[]>;
}

export interface PostgresEventStoreOptions {
  /** Owned by the caller: `close()` does not end it. Subscriptions take one connection for LISTEN. */
  readonly pool: Pool;
  /** Schema holding the tables; default `event_store`. */
  readonly schema?: string;
  /** How often an idle subscription looks for events it was not notified of; default 250 ms. */
  readonly pollIntervalMs?: number;
  /** Longest time a subscription keeps a handled position unpersisted within a batch; default 1 s. */
  readonly checkpointIntervalMs?: number;
}

type Queryable = Pick<ClientBase, 'query'>;

const DEFAULT_READ_ALL_COUNT = 1000;
const PG_UNIQUE_VIOLATION = '23505';
const PG_INVALID_TEXT = '22P02';

/**
 * Event store on PostgreSQL 13+. The global log is ordered by (writing transaction id, sequence) and
 * only read below the oldest running transaction, so readers never pass an event that commits
 * later; a long-running write transaction anywhere in the cluster therefore delays (never loses)
 * delivery until it ends.
 */
export class PostgresEventStore implements EventStore {
  readonly schema: string;
  private readonly pool: Pool;
  private readonly sql: PostgresStatements;
  private readonly notifier: PgNotifier;
  private readonly subscriptions = new Set<Subscription>();
  private readonly settings: { pollIntervalMs: number; checkpointIntervalMs: number };

  constructor(options: PostgresEventStoreOptions) {
    this.pool = options.pool;
    this.schema = options.schema ?? DEFAULT_SCHEMA;
    this.sql = new PostgresStatements(this.schema);
    this.settings = {
      pollIntervalMs: options.pollIntervalMs ?? 250,
      checkpointIntervalMs: options.checkpointIntervalMs ?? 1_000,
    };
    this.notifier = new PgNotifier(this.pool, notifyChannel(this.schema), () => undefined);
  }

  /** Creates the store and its schema if missing. */
  static async create(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const store = new PostgresEventStore(options);
    await store.ensureSchema();
    return store;
  }

  /** Creates the schema and tables if missing; safe to run concurrently and repeatedly. */
  async ensureSchema(): Promise<void> {
    await this.pool.query(schemaSql(this.schema));
  }

  append(
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    return this.appendWith(this.pool, stream, events, expected);
  }

  async appendMany(appends: readonly StreamAppend[]): Promise<AppendOutcome[]> {
    if (appends.length === 0) return [];
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      const outcomes = distinctStreams(appends)
        ? await this.appendBatch(client, appends)
        : await this.appendOneByOne(client, appends);
      await client.query('commit');
      return outcomes;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * One statement for the whole batch: a batch of 2,000 appends is one round trip instead of
   * 2,000. An append it could not make (expected revision not met, or its stream created by
   * another transaction since the statement began) is tried again alone, which either makes it
   * or reports the conflict with the stream's actual revision.
   */
  private async appendBatch(client: ClientBase, appends: readonly StreamAppend[]): Promise<AppendOutcome[]> {
    const input = appends.map(({ stream, events, expected }) => {
      if (events.length === 0) throw new ValidationError('an append needs at least one event', { stream });
      return { stream, eventsJson: eventsJson(events), count: events.length, expected };
    });
    let rows: AppendBatchRow[];
    try {
      ({ rows } = await client.query<AppendBatchRow>(this.sql.appendBatch(input)));
    } catch (error) {
      throw translateWriteError(error, `${appends.length} streams`);
    }
    const outcomes = new Array<AppendOutcome>(appends.length);
    const missed: number[] = [];
    for (const row of rows) {
      const i = Number(row.idx) - 1;
      if (row.revision === null || row.position === null || row.tx_id === null) missed.push(i);
      else
        outcomes[i] = {
          ok: true,
          result: {
            nextExpectedRevision: BigInt(row.revision),
            position: { commit: BigInt(row.tx_id), prepare: BigInt(row.position) },
          },
        };
    }
    const retried = await this.appendOneByOne(
      client,
      missed.map((i) => appends[i]!),
    );
    missed.forEach((i, k) => (outcomes[i] = retried[k]!));
    return outcomes;
  }

  /** Appends in stream order, so that two batches touching the same streams lock them in the same order. */
  private async appendOneByOne(
    client: ClientBase,
    appends: readonly StreamAppend[],
  ): Promise<AppendOutcome[]> {
    const order = appends
      .map((_, i) => i)
      .sort((a, b) =>
        appends[a]!.stream < appends[b]!.stream ? -1 : appends[a]!.stream > appends[b]!.stream ? 1 : a - b,
      );
    const outcomes = new Array<AppendOutcome>(appends.length);
    for (const i of order) {
      const { stream, events, expected } = appends[i]!;
      try {
        outcomes[i] = { ok: true, result: await this.appendWith(client, stream, events, expected) };
      } catch (error) {
        // A conflict changes nothing (the statement matched no row); anything else aborts the batch.
        if (!(error instanceof ConcurrencyError)) throw error;
        outcomes[i] = { ok: false, error };
      }
    }
    return outcomes;
  }

  /**
   * Appends through `client`, e.g. inside a transaction the caller opened to change other tables
   * atomically with the stream. The events become visible when that transaction commits; until it
   * ends, other appends to the stream wait for its row lock.
   */
  async appendWith(
    client: Queryable,
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    if (events.length === 0) throw new ValidationError('an append needs at least one event', { stream });
    let rows: AppendRow[];
    try {
      ({ rows } = await client.query<AppendRow>(
        this.sql.append(stream, eventsJson(events), events.length, expected),
      ));
    } catch (error) {
      throw translateWriteError(error, stream);
    }
    const row = rows[0];
    if (!row) {
      const actual = await client.query<{ revision: string }>(this.sql.streamRevision(stream));
      throw new ConcurrencyError(stream, describeExpected(expected), actual.rows[0]?.revision ?? 'no_stream');
    }
    return {
      nextExpectedRevision: BigInt(row.revision),
      position: { commit: BigInt(row.tx_id), prepare: BigInt(row.position) },
    };
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      this.sql.readStream(
        stream,
        options.fromRevision ?? 0n,
        options.maxCount ?? null,
        streamFilter(options),
      ),
    );
    return rows.map(toRecordedEvent);
  }

  /**
   * Events in (transaction id, sequence) order. Events committed while an older write transaction is
   * still running anywhere in the cluster are returned only once it has ended, so a read right
   * after an append may not include it yet; it never returns an event before one that commits later.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const page = await this.readPage(
      options.after,
      options.maxCount ?? DEFAULT_READ_ALL_COUNT,
      options.streamPrefixes,
    );
    return page.events;
  }

  /**
   * Every event of the streams whose names start with one of `streamPrefixes` (all streams without),
   * up to the end of the log as it is now, for rebuilding read models: one `COPY ... TO STDOUT` on one
   * connection, by stream then revision (`order: 'stream'`, the default: each stream's events come
   * together, through the `(stream, revision)` index) or in the log's order (`'global'`). Only what
   * a fold needs is read: no id, position or recording time. The end is fixed before the read
   * starts, with the same rule as {@link readAll}: every event up to it has committed for good.
   */
  async readInBulk(
    options: { readonly streamPrefixes?: readonly string[]; readonly order?: 'stream' | 'global' } = {},
  ): Promise<BulkRead> {
    const { rows } = await this.pool.query<{ tx_id: string; position: string }>(this.sql.bulkReadEnd());
    const end = rows[0];
    if (!end) return { position: undefined, batches: (async function* () {})() };
    const position = { commit: BigInt(end.tx_id), prepare: BigInt(end.position) };
    const statement = this.sql.bulkRead(
      position.commit,
      position.prepare,
      options.streamPrefixes,
      options.order ?? 'stream',
    );
    const pool = this.pool;
    async function* batches(): AsyncGenerator<BulkEvent[]> {
      const client = await pool.connect();
      let done = false;
      try {
        yield* copyEvents(client, statement);
        done = true;
      } finally {
        // A connection left in the middle of a COPY (error, or the caller stopped early) is closed.
        client.release(done ? undefined : true);
      }
    }
    return { position, batches: batches() };
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const checkpoint = await this.readCheckpoint(options.subscriptionId);
    const source = this.subscriptionSource(() => this.subscriptions.delete(subscription));
    const subscription = await PostgresSubscription.start(source, options, this.settings, checkpoint);
    this.subscriptions.add(subscription);
    return subscription;
  }

  async readCheckpoint(subscriptionId: string): Promise<GlobalPosition | undefined> {
    const { rows } = await this.pool.query<{ commit: string; prepare: string }>(
      this.sql.readCheckpoint(subscriptionId),
    );
    const row = rows[0];
    return row && { commit: BigInt(row.commit), prepare: BigInt(row.prepare) };
  }

  async ping(): Promise<void> {
    await this.pool.query('select 1');
  }

  /** Stops the subscriptions; the pool stays open. */
  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
  }

  private async readPage(
    after: GlobalPosition | undefined,
    maxCount: number,
    prefixes: readonly string[] | undefined,
  ): Promise<LogPage> {
    const { rows } = await this.pool.query<EventRow & { horizon: string }>(
      this.sql.readAll(after?.commit ?? 0n, after?.prepare ?? 0n, maxCount, prefixes),
    );
    const first = rows[0];
    // The lateral join yields a single row of nulls when no event qualifies.
    const events = first?.position == null ? [] : rows.map(toRecordedEvent);
    return { events, horizon: BigInt(first?.horizon ?? 0) };
  }

  private subscriptionSource(stopped: () => void): SubscriptionSource {
    return {
      stopped,
      read: (after, maxCount, prefixes) => this.readPage(after, maxCount, prefixes),
      lastTransaction: async () => {
        const { rows } = await this.pool.query<{ tx_id: string }>(this.sql.lastTransaction());
        return rows[0] ? BigInt(rows[0].tx_id) : undefined;
      },
      writeCheckpoint: async (subscriptionId, position) => {
        await this.pool.query(this.sql.writeCheckpoint(subscriptionId, position.commit, position.prepare));
      },
      listen: (wake) => this.notifier.listen(wake),
      reconnect: () => this.notifier.reconnect(),
    };
  }
}

function eventsJson(events: readonly EventToAppend[]): string {
  return JSON.stringify(events.map(({ id, type, data, metadata }) => ({ id, type, data, metadata })));
}

/** A batch with two appends to one stream is made one by one: the second depends on the first. */
function distinctStreams(appends: readonly StreamAppend[]): boolean {
  return appends.length > 1 && new Set(appends.map((a) => a.stream)).size === appends.length;
}

function translateWriteError(error: unknown, stream: string): unknown {
  const pgError = error as { code?: string; constraint?: string; detail?: string };
  if (pgError.code === PG_UNIQUE_VIOLATION && pgError.constraint === 'events_event_id_unique') {
    return new ConflictError(`an event with this id was already appended (${pgError.detail ?? 'event_id'})`, {
      stream,
    });
  }
  if (pgError.code === PG_INVALID_TEXT) {
    return new ValidationError(`event ids must be UUIDs: ${String((error as Error).message)}`, { stream });
  }
  return error;
}
