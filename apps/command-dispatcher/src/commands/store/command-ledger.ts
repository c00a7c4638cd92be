import { randomUUID } from 'node:crypto';
import { ConcurrencyError, mapConcurrently, type CommandMetadata, type EventMetadata } from '@fleet/core';
import { EVENT_STORE, type EventStore, type RecordedEvent, type Subscription } from '@fleet/event-store';
import { LeaderLease, PG_POOL } from '@fleet/platform';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Pool } from 'pg';
import {
  decideCommand,
  evolveCommand,
  initialCommandState,
  type CommandCommand,
  type CommandState,
  type RequestedCommand,
} from '../command';
import { commandStream, type CommandEvent } from '../command-events';
import { CommandStore } from './command-store';

export interface Decision {
  readonly commandId: string;
  readonly command: CommandCommand;
  readonly metadata: EventMetadata;
  /** The state the caller already has (a read-model row); loaded from the stream when absent. */
  readonly known?: CommandState | undefined;
}

export interface Decided {
  readonly state: CommandState;
  readonly events: readonly CommandEvent[];
}

const ATTEMPTS = 4;
const APPEND_CONCURRENCY = 16;

/**
 * Decides on command aggregates and appends what they decide, then writes the new state through
 * to the read model at once (so the dispatcher acts on it without waiting), while a catch-up
 * subscription keeps the read model equal to the store whatever happens between the two.
 */
@Injectable()
export class CommandLedger implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(CommandLedger.name);
  readonly rows: CommandStore;
  private subscription?: Subscription;

  private readonly lease: LeaderLease;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PG_POOL) pool: Pool,
  ) {
    this.rows = new CommandStore(pool);
    this.lease = new LeaderLease(pool, 'command-dispatcher-commands', this.projection);
  }

  onApplicationBootstrap(): Promise<void> {
    return this.lease.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.lease.stop();
  }

  /** The catch-up projection: one replica folds the log (a shared checkpoint must not step back). */
  private readonly projection = {
    start: async (): Promise<void> => {
      this.subscription = await this.store.subscribe({
        subscriptionId: 'command-dispatcher-commands',
        streamPrefixes: ['command-'],
        batchSize: 1000,
        batchHandler: (events) => this.project(events),
        onError: (error) => this.logger.error({ err: error }, 'command projection failed; retrying'),
      });
    },
    stop: async (): Promise<void> => {
      await this.subscription?.stop();
      this.subscription = undefined;
    },
  };

  async decide(decision: Decision): Promise<Decided> {
    const [decided] = await this.decideAll([decision]);
    return decided!;
  }

  /**
   * Decides on each, appends all that decided something in one batch (one commit), then saves the
   * rows in one write. A command that moved on meanwhile is loaded again and decided alone.
   */
  async decideAll(decisions: readonly Decision[]): Promise<Decided[]> {
    if (decisions.length === 0) return [];
    const states = await mapConcurrently(decisions, APPEND_CONCURRENCY, (d) => this.stateFor(d));
    const planned = decisions.map((d, i) => ({
      decision: d,
      state: states[i]!,
      events: decideCommand(d.command, states[i]!),
    }));
    const toAppend = planned.filter((p) => p.events.length > 0);
    const outcomes = await this.store.appendMany(
      toAppend.map(({ decision, state, events }) => ({
        stream: commandStream(decision.commandId),
        events: this.toAppend(events, decision.metadata),
        expected: state.version === 0 ? 'no_stream' : BigInt(state.version - 1),
      })),
    );
    const retried = new Map<Decision, Decided>();
    await mapConcurrently(
      toAppend.filter((_, i) => !outcomes[i]!.ok),
      APPEND_CONCURRENCY,
      async (p) => void retried.set(p.decision, await this.decideOne({ ...p.decision, known: undefined })),
    );
    const results = planned.map(
      (p): Decided =>
        retried.get(p.decision) ??
        (p.events.length > 0
          ? { state: p.events.reduce(evolveCommand, p.state), events: p.events }
          : { state: p.state, events: [] }),
    );
    const changed = results.filter((r) => r.events.length > 0 && r.state.status !== 'none');
    await this.rows.save(
      changed.map((r) => r.state as RequestedCommand),
      new Date().toISOString(),
    );
    return results;
  }

  /** What a decision starts from: the caller's state, nothing for a new command, else its stream. */
  private async stateFor(decision: Decision): Promise<CommandState> {
    if (decision.known) return decision.known;
    // A new command's stream does not exist yet: no read needed (if it does, the append says so).
    return decision.command.type === 'RequestCommand' ? initialCommandState : this.load(decision.commandId);
  }

  private toAppend(events: readonly CommandEvent[], metadata: EventMetadata) {
    return events.map((e) => ({
      id: randomUUID(),
      type: e.type,
      data: e.data as unknown as Record<string, unknown>,
      metadata: eventMetadata(metadata),
    }));
  }

  private async decideOne(decision: Decision): Promise<Decided> {
    let state = await this.stateFor(decision);
    for (let attempt = 1; ; attempt++) {
      const events = decideCommand(decision.command, state);
      if (events.length === 0) return { state, events };
      try {
        await this.store.append(
          commandStream(decision.commandId),
          this.toAppend(events, decision.metadata),
          state.version === 0 ? 'no_stream' : BigInt(state.version - 1),
        );
        return { state: events.reduce(evolveCommand, state), events };
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= ATTEMPTS) throw error;
        state = await this.load(decision.commandId); // someone else moved it on: decide again
      }
    }
  }

  async load(commandId: string): Promise<CommandState> {
    const recorded = await this.store.readStream(commandStream(commandId));
    return recorded.reduce((s, e) => evolveCommand(s, e as unknown as CommandEvent), initialCommandState);
  }

  /** Folds a batch of the log onto the rows it touches (events the write-through already saved are skipped). */
  private async project(events: readonly RecordedEvent[]): Promise<void> {
    const byCommand = new Map<string, RecordedEvent[]>();
    for (const event of events) {
      const id = event.stream.slice('command-'.length);
      byCommand.set(id, [...(byCommand.get(id) ?? []), event]);
    }
    const known = await this.rows.findMany([...byCommand.keys()]);
    const states: RequestedCommand[] = [];
    for (const [id, recorded] of byCommand) {
      const row = known.get(id);
      let state: CommandState = row ?? initialCommandState;
      if (state.status === 'none' && recorded[0]!.revision !== 0n) state = await this.load(id);
      else
        for (const e of recorded)
          if (e.revision >= BigInt(state.version)) state = evolveCommand(state, e as unknown as CommandEvent);
      // Rows the write-through already saved are left alone: an upsert that changes nothing still
      // locks the row against the dispatcher's next write of it.
      if (state.status !== 'none' && state !== row) states.push(state);
    }
    await this.rows.save(states, new Date().toISOString());
  }
}

/**
 * Exactly the metadata fields events keep. A request with no cause of its own (an operator's HTTP
 * call) is caused by the request itself: its command metadata id, as in every other aggregate.
 */
const eventMetadata = (m: EventMetadata | CommandMetadata): EventMetadata => ({
  actor: m.actor,
  reason: m.reason,
  occurredAt: m.occurredAt,
  correlationId: m.correlationId,
  causationId: m.causationId ?? ('commandId' in m ? m.commandId : null),
  tenant: m.tenant,
});
