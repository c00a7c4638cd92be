import type { EventMetadata } from '@fleet/core';
import type { QueryConfig } from 'pg';
import type { ExpectedRevision, RecordedEvent } from '../event-store.port';
import type { StreamFilter } from '../shared/stream-filter';
import { assertSchemaName, notifyChannel } from './schema.sql';

/** How an append checks and moves the stream's row in `streams`. */
export type AppendMode = 'any' | 'no_stream' | 'stream_exists' | 'exact';

/** An `events` row as node-postgres returns it (bigint and xid8 as strings, jsonb parsed). */
export interface EventRow {
  position: string;
  tx_id: string;
  stream: string;
  revision: string;
  event_id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  recorded_at: string;
}

/** A row of the batch append: the append's index (1-based), and null revision when it did not happen. */
export interface AppendBatchRow {
  idx: string;
  revision: string | null;
  position: string | null;
  tx_id: string | null;
}

/** What an append statement returns: the stream's new revision and the last event's position. */
export interface AppendRow {
  revision: string;
  position: string;
  tx_id: string;
}

// ISO-8601 is built by the server: cheaper than parsing a Date in node and formatting it again.
const EVENT_COLUMNS = `position, tx_id, stream, revision, event_id, type, data, metadata,
  to_char(recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as recorded_at`;

/** Maps a row to the port's event; bigint columns arrive as strings and are converted exactly. */
export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    stream: row.stream,
    revision: BigInt(row.revision),
    position: { commit: BigInt(row.tx_id), prepare: BigInt(row.position) },
    recordedAt: row.recorded_at,
  };
}

const isoInstant = (ms: number): string => new Date(ms).toISOString();

/** A string as an SQL literal (with `standard_conforming_strings` on or off). */
export function sqlLiteral(value: string): string {
  const quoted = `'${value.replaceAll("'", "''")}'`;
  return value.includes('\\') ? `E${quoted.replaceAll('\\', '\\\\')}` : quoted;
}

/** `like` pattern matching names that start with `prefix` literally. */
export function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The adapter's SQL for one schema, as named (prepared) statements. Parameters of the append
 * statements: $1 stream, $2 number of events, $3 the events as a JSON array, $4 the expected revision
 * (`exact` only).
 */
export class PostgresStatements {
  private readonly appendText: Record<AppendMode, string>;
  private readonly appendBatchText: string;

  constructor(private readonly schema: string) {
    assertSchemaName(schema);
    const streamRow: Record<AppendMode, string> = {
      any: `insert into ${schema}.streams as s (stream, revision) values ($1, $2::bigint - 1)
            on conflict (stream) do update set revision = s.revision + $2::bigint returning revision`,
      no_stream: `insert into ${schema}.streams (stream, revision) values ($1, $2::bigint - 1)
                  on conflict (stream) do nothing returning revision`,
      stream_exists: `update ${schema}.streams set revision = revision + $2::bigint where stream = $1 returning revision`,
      exact: `update ${schema}.streams set revision = revision + $2::bigint
              where stream = $1 and revision = $4::bigint returning revision`,
    };
    // One statement, hence one round trip and its own transaction unless the caller opened one. The
    // row-level lock taken on `streams` serialises appends to a stream; ordering by `ord` makes the
    // sequence hand out positions in revision order. The notification is only sent on commit.
    const append = (mode: AppendMode): string => `
      with s as (${streamRow[mode]}),
      ins as (
        insert into ${schema}.events (stream, revision, event_id, type, data, metadata)
        select $1, s.revision - $2::bigint + e.ord, (e.v->>'id')::uuid, e.v->>'type', e.v->'data', e.v->'metadata'
        from s, jsonb_array_elements($3::jsonb) with ordinality as e(v, ord)
        order by e.ord
        returning position, tx_id
      )
      select s.revision, (select max(position) from ins) as position, (select tx_id from ins limit 1) as tx_id,
             pg_notify('${notifyChannel(schema)}', '') as notified
      from s`;
    // Many appends to distinct streams in one statement. `locked` takes the existing streams' row
    // locks in stream order (as appends one by one in stream order would), so two batches never
    // deadlock; it sees the latest committed revision, which `moved` compares and advances. New
    // streams are inserted; a stream created meanwhile by another transaction yields no row, and
    // the caller appends that one alone. Positions follow the input order, then event order.
    this.appendBatchText = `
      with input as (
        select i.idx, i.stream, i.n, i.expected, i.mode, i.evs
        from rows from (jsonb_to_recordset($1::jsonb)
               as (stream text, n bigint, expected bigint, mode text, evs jsonb)) with ordinality
             as i(stream, n, expected, mode, evs, idx)
      ),
      locked as (
        select s.stream, s.revision from ${schema}.streams s
        where s.stream in (select stream from input) order by s.stream for update
      ),
      moved as (
        update ${schema}.streams s set revision = l.revision + i.n
        from input i join locked l on l.stream = i.stream
        where s.stream = i.stream and i.mode <> 'no_stream'
          and (i.mode <> 'exact' or l.revision = i.expected)
        returning s.stream, s.revision
      ),
      created as (
        insert into ${schema}.streams (stream, revision)
        select i.stream, i.n - 1 from input i
        where i.mode in ('any', 'no_stream') and not exists (select 1 from locked l where l.stream = i.stream)
        order by i.stream
        on conflict (stream) do nothing
        returning stream, revision
      ),
      appended as (select stream, revision from moved union all select stream, revision from created),
      ins as (
        insert into ${schema}.events (stream, revision, event_id, type, data, metadata)
        select i.stream, a.revision - i.n + e.ord, (e.v->>'id')::uuid, e.v->>'type', e.v->'data', e.v->'metadata'
        from input i join appended a on a.stream = i.stream,
             jsonb_array_elements(i.evs) with ordinality as e(v, ord)
        order by i.idx, e.ord
        returning stream, position, tx_id
      ),
      last as (select stream, max(position) as position, min(tx_id::text) as tx_id from ins group by stream)
      select i.idx, a.revision, last.position, last.tx_id,
             (select pg_notify('${notifyChannel(schema)}', '') from last limit 1) as notified
      from input i left join appended a on a.stream = i.stream left join last on last.stream = i.stream
      order by i.idx`;
    this.appendText = {
      any: append('any'),
      no_stream: append('no_stream'),
      stream_exists: append('stream_exists'),
      exact: append('exact'),
    };
  }

  append(stream: string, eventsJson: string, count: number, expected: ExpectedRevision): QueryConfig {
    const mode: AppendMode = typeof expected === 'bigint' ? 'exact' : expected;
    const values: unknown[] = [stream, count, eventsJson];
    if (typeof expected === 'bigint') values.push(expected.toString());
    return { name: this.name(`append_${mode}`), text: this.appendText[mode], values };
  }

  /**
   * Appends to distinct streams in one statement; one row per append, in input order, whose
   * `revision` is null when the append did not happen (expected revision not met, or a stream
   * created meanwhile). Parameters as {@link append}, one array element per append.
   */
  appendBatch(
    appends: readonly { stream: string; eventsJson: string; count: number; expected: ExpectedRevision }[],
  ): QueryConfig {
    const mode = (expected: ExpectedRevision): AppendMode =>
      typeof expected === 'bigint' ? 'exact' : expected;
    return {
      name: this.name('append_batch'),
      text: this.appendBatchText,
      // One JSON document: the server parses it once, where arrays of JSON texts cost a second per 2,000.
      values: [
        `[${appends
          .map(
            (a) =>
              `{"stream":${JSON.stringify(a.stream)},"n":${a.count},"expected":${
                typeof a.expected === 'bigint' ? a.expected.toString() : 'null'
              },"mode":"${mode(a.expected)}","evs":${a.eventsJson}}`,
          )
          .join(',')}]`,
      ],
    };
  }

  streamRevision(stream: string): QueryConfig {
    return {
      name: this.name('stream_revision'),
      text: `select revision from ${this.schema}.streams where stream = $1`,
      values: [stream],
    };
  }

  /**
   * A slice of a stream; `limit` counts the rows that pass the filter. The filters are conditions
   * on the rows of the `(stream, revision)` index range: a filtered read visits the stream's rows
   * from `fromRevision` on (10,000 of them in about 5 to 20 ms) and only the matching ones are sent
   * and parsed. An index on `(stream, type, revision)` would make a rare type a few rows' read, but
   * it costs 40 to 65% more index space and a read of a long stream is fast enough without it.
   * One named statement per combination of filters.
   */
  readStream(
    stream: string,
    fromRevision: bigint,
    maxCount: number | null,
    filter?: StreamFilter,
  ): QueryConfig {
    const values: unknown[] = [stream, String(fromRevision), maxCount];
    const conditions: string[] = [];
    let shape = '';
    const condition = (key: string, value: unknown, sql: (param: string) => string): void => {
      values.push(value);
      conditions.push(`and ${sql(`$${values.length}`)}`);
      shape += key;
    };
    // Containment rather than `type = any(...)`: a generic plan costs `any` of a parameter at ten
    // comparisons and would check it after the casts below, which are the expensive part.
    if (filter?.types) condition('t', filter.types, (p) => `${p}::text[] @> array[type]`);
    if (filter?.actorId !== undefined)
      condition('a', filter.actorId, (p) => `metadata->'actor'->>'id' = ${p}`);
    // The cast depends on the session's time zone for strings without an offset, so it could not
    // go into an index expression; in a filter that is fine, and occurredAt carries its offset.
    const occurredAt = `(metadata->>'occurredAt')::timestamptz`;
    if (filter?.occurredFrom !== undefined)
      condition('f', isoInstant(filter.occurredFrom), (p) => `${occurredAt} >= ${p}::timestamptz`);
    if (filter?.occurredTo !== undefined)
      condition('u', isoInstant(filter.occurredTo), (p) => `${occurredAt} <= ${p}::timestamptz`);
    return {
      name: this.name(shape ? `read_stream_${shape}` : 'read_stream'),
      text: `select ${EVENT_COLUMNS} from ${this.schema}.events
             where stream = $1 and revision >= $2::bigint ${conditions.join(' ')}
             order by revision limit $3`,
      values,
    };
  }

  /**
   * Events after (`commit`, `prepare`) in (tx_id, position) order, below the snapshot's xmin: every
   * transaction with a smaller id has ended, so no event can later appear behind what was read.
   * The horizon comes back on every row (and alone when nothing qualifies) so that subscribers know
   * which part of the log they have drained. `left join lateral` keeps the row when `e` is empty.
   */
  readAll(
    commit: bigint,
    prepare: bigint,
    maxCount: number,
    prefixes: readonly string[] | undefined,
  ): QueryConfig {
    const filtered = prefixes !== undefined && prefixes.length > 0;
    const values: unknown[] = [String(commit), String(prepare), maxCount];
    if (filtered) values.push(prefixes.map(prefixPattern));
    return {
      name: this.name(filtered ? 'read_all_filtered' : 'read_all'),
      text: `select h.horizon, e.* from (select pg_snapshot_xmin(pg_current_snapshot()) as horizon) h
             left join lateral (
               select ${EVENT_COLUMNS} from ${this.schema}.events
               where (tx_id, position) > ($1::xid8, $2::bigint) and tx_id < h.horizon
               ${filtered ? 'and stream like any($4::text[])' : ''}
               order by tx_id, position limit $3
             ) e on true`,
      values,
    };
  }

  /**
   * The last event of the log that a bulk read can end at: the newest one below the snapshot's
   * xmin, so that every event at or before it has committed (or rolled back) for good.
   */
  bulkReadEnd(): QueryConfig {
    return {
      name: this.name('bulk_read_end'),
      text: `select tx_id, position from ${this.schema}.events
             where tx_id < pg_snapshot_xmin(pg_current_snapshot())
             order by tx_id desc, position desc limit 1`,
    };
  }

  /**
   * `COPY ... TO STDOUT` of the events at or before (`commit`, `prepare`) of the streams starting with
   * one of `prefixes` (all without), by stream and revision through the `(stream, revision)` index,
   * or in the log's order. COPY takes no parameters, so the values are written as literals.
   */
  bulkRead(
    commit: bigint,
    prepare: bigint,
    prefixes: readonly string[] | undefined,
    order: 'stream' | 'global',
  ): string {
    const filter =
      prefixes !== undefined && prefixes.length > 0
        ? `and stream like any(array[${prefixes.map((p) => sqlLiteral(prefixPattern(p))).join(', ')}]::text[])`
        : '';
    return `copy (select stream, revision, type, data, metadata from ${this.schema}.events
             where (tx_id, position) <= ('${commit}'::xid8, ${prepare}::bigint) ${filter}
             order by ${order === 'stream' ? 'stream, revision' : 'tx_id, position'}) to stdout`;
  }

  /** Id of the newest transaction that committed events, as seen now. */
  lastTransaction(): QueryConfig {
    return {
      name: this.name('last_tx'),
      text: `select tx_id from ${this.schema}.events order by tx_id desc limit 1`,
    };
  }

  readCheckpoint(subscriptionId: string): QueryConfig {
    return {
      name: this.name('read_checkpoint'),
      text: `select commit, prepare from ${this.schema}.checkpoints where subscription_id = $1`,
      values: [subscriptionId],
    };
  }

  writeCheckpoint(subscriptionId: string, commit: bigint, prepare: bigint): QueryConfig {
    return {
      name: this.name('write_checkpoint'),
      text: `insert into ${this.schema}.checkpoints (subscription_id, commit, prepare) values ($1, $2, $3)
             on conflict (subscription_id)
             do update set commit = excluded.commit, prepare = excluded.prepare, updated_at = now()`,
      values: [subscriptionId, String(commit), String(prepare)],
    };
  }

  private name(statement: string): string {
    return `fleet_es_${this.schema}_${statement}`;
  }
}
