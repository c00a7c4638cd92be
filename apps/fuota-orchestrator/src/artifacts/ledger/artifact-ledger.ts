import type { CommandMetadata, EventMetadata } from '@fleet/core';
import {
  decideAndAppend,
  EVENT_STORE,
  loadAggregate,
  type EventStore,
  type RecordedEvent,
} from '@fleet/event-store';
import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { artifactStream, type ArtifactEvent, type ArtifactState } from '../artifact';
import { artifactDecider, type ArtifactCommand } from '../artifact.decide';
import { artifactViewOf, type ArtifactView } from '../artifact-view';
import { ArtifactTable } from '../read-model/artifact-table';

export interface LoadedArtifact {
  readonly state: ArtifactState;
  readonly revision: bigint;
  readonly recorded: readonly RecordedEvent[];
}

export interface DecidedArtifact {
  readonly events: readonly ArtifactEvent[];
  /** The artifact after the events, as the read model now shows it. */
  readonly view: ArtifactView | undefined;
}

/** A new artifact: nothing recorded yet. */
export const NO_ARTIFACT: LoadedArtifact = {
  state: artifactDecider.initialState,
  revision: -1n,
  recorded: [],
};

/**
 * The write side of artifacts: load a stream, decide, append at the loaded revision (a concurrent
 * change fails with ConcurrencyError), then write the new view through to the read model so that
 * the caller reads what it wrote.
 */
@Injectable()
export class ArtifactLedger {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly table: ArtifactTable,
  ) {}

  async load(artifactId: string): Promise<LoadedArtifact> {
    return loadAggregate(this.store, artifactStream(artifactId), artifactDecider);
  }

  /** @param db a transaction to write the view in (the version lock's), else the pool */
  async decide(
    command: ArtifactCommand,
    metadata: CommandMetadata,
    loaded: LoadedArtifact,
    db?: PoolClient,
  ): Promise<DecidedArtifact> {
    const { events } = await decideAndAppend(
      this.store,
      artifactStream(command.artifactId),
      artifactDecider,
      command,
      metadata,
      loaded,
    );
    const eventMetadata: EventMetadata = { ...metadata, causationId: metadata.commandId };
    const view = artifactViewOf([
      ...loaded.recorded,
      ...events.map((e) => ({ ...e, metadata: eventMetadata })),
    ]);
    if (view && events.length > 0) await this.table.save(view, db);
    return { events, view };
  }

  history(artifactId: string): Promise<RecordedEvent[]> {
    return this.store.readStream(artifactStream(artifactId));
  }
}
