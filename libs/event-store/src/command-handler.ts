import { randomUUID } from 'node:crypto';
import type { CommandMetadata, DomainEvent, EventMetadata } from '@fleet/core';
import type { AppendResult, EventStore, ExpectedRevision, RecordedEvent } from './event-store.port';

/** The pure heart of an aggregate: what a command decides, and how facts fold into state. */
export interface Decider<TCommand, TEvent extends DomainEvent, TState> {
  decide(command: TCommand, state: TState): TEvent[];
  evolve(state: TState, event: TEvent): TState;
  readonly initialState: TState;
}

export interface HandledCommand<TEvent, TState> {
  readonly events: readonly TEvent[];
  readonly state: TState;
  readonly result: AppendResult | undefined;
}

/** Rebuilds an aggregate's state from its stream; `revision` is -1 for a stream that does not exist. */
export async function loadAggregate<TEvent extends DomainEvent, TState>(
  store: EventStore,
  stream: string,
  decider: Pick<Decider<unknown, TEvent, TState>, 'evolve' | 'initialState'>,
): Promise<{ state: TState; revision: bigint; recorded: RecordedEvent[] }> {
  const recorded = await store.readStream(stream);
  const state = recorded.reduce((s, e) => decider.evolve(s, e as unknown as TEvent), decider.initialState);
  return { state, revision: recorded.at(-1)?.revision ?? -1n, recorded };
}

/**
 * Load, decide, append with the revision we decided on: a concurrent change to the same
 * aggregate makes the append fail with ConcurrencyError instead of silently interleaving.
 */
export async function handleCommand<TCommand, TEvent extends DomainEvent, TState>(
  store: EventStore,
  stream: string,
  decider: Decider<TCommand, TEvent, TState>,
  command: TCommand,
  metadata: CommandMetadata,
): Promise<HandledCommand<TEvent, TState>> {
  return decideAndAppend(
    store,
    stream,
    decider,
    command,
    metadata,
    await loadAggregate(store, stream, decider),
  );
}

/** Decides on an aggregate the caller already loaded and appends at the revision it was loaded at. */
export async function decideAndAppend<TCommand, TEvent extends DomainEvent, TState>(
  store: EventStore,
  stream: string,
  decider: Decider<TCommand, TEvent, TState>,
  command: TCommand,
  metadata: CommandMetadata,
  { state, revision }: { state: TState; revision: bigint },
): Promise<HandledCommand<TEvent, TState>> {
  const events = decider.decide(command, state);
  if (events.length === 0) return { events, state, result: undefined };
  const expected: ExpectedRevision = revision < 0n ? 'no_stream' : revision;
  const eventMetadata: EventMetadata = {
    actor: metadata.actor,
    reason: metadata.reason,
    occurredAt: metadata.occurredAt,
    correlationId: metadata.correlationId,
    causationId: metadata.commandId,
    tenant: metadata.tenant,
  };
  const result = await store.append(
    stream,
    events.map((e) => ({
      id: randomUUID(),
      type: e.type,
      data: e.data as Record<string, unknown>,
      metadata: eventMetadata,
    })),
    expected,
  );
  return { events, state: events.reduce(decider.evolve, state), result };
}
