import type { AvroCodec } from '@fleet/contracts';
import { EVENT_STORE, type EventStore } from '@fleet/event-store';
import { EventRelay, MESSAGE_PUBLISHER, type MessagePublisher } from '@fleet/messaging';
import { Metrics } from '@fleet/observability';
import {
  Logger,
  type FactoryProvider,
  type InjectionToken,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Pool } from 'pg';
import { LeaderLease } from './leader-lease';
import { AVRO_CODEC, PG_POOL } from './tokens';

/**
 * Relays the streams of one category (`device-`, `command-`, `alert-`...) that a service owns to
 * their Kafka topic, from the store's log with a checkpoint (no dual writes). One replica relays a
 * category at a time (a {@link LeaderLease}): two would publish every event twice and step back
 * each other's checkpoint.
 */
export class StreamRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger: Logger;
  readonly relay: EventRelay;
  private readonly lease: LeaderLease;

  constructor(
    deps: { store: EventStore; publisher: MessagePublisher; codec: AvroCodec; pool: Pool; metrics: Metrics },
    category: string,
    topic: string,
  ) {
    this.logger = new Logger(`StreamRelay(${category})`);
    const relayed = deps.metrics.counter('fleet_relay_events_total', 'Domain events relayed to Kafka', [
      'topic',
      'type',
    ]);
    const failures = deps.metrics.counter(
      'fleet_relay_failures_total',
      'Relay attempts that failed and will be retried',
      [],
    );
    this.relay = new EventRelay(deps.store, deps.publisher, deps.codec, {
      subscriptionId: `relay-${category}`,
      streamPrefixes: [`${category}-`],
      topicForStream: () => topic,
      onRelayed: (event, to) => relayed.inc({ topic: to, type: event.type }),
      onError: (error) => {
        failures.inc();
        this.logger.error({ err: error }, `relaying ${category} events failed; retrying`);
      },
    });
    this.lease = new LeaderLease(deps.pool, `relay-${category}`, this.relay);
  }

  onApplicationBootstrap(): Promise<void> {
    return this.lease.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.lease.stop();
  }
}

/** The provider of a service's {@link StreamRelay}: its category and the topic its config names. */
export function streamRelayProvider<TConfig>(
  category: string,
  configToken: InjectionToken,
  topicOf: (config: TConfig) => string,
): FactoryProvider<StreamRelay> {
  return {
    provide: StreamRelay,
    inject: [EVENT_STORE, MESSAGE_PUBLISHER, AVRO_CODEC, PG_POOL, Metrics, configToken],
    useFactory: (
      store: EventStore,
      publisher: MessagePublisher,
      codec: AvroCodec,
      pool: Pool,
      metrics: Metrics,
      config: TConfig,
    ) => new StreamRelay({ store, publisher, codec, pool, metrics }, category, topicOf(config)),
  };
}
