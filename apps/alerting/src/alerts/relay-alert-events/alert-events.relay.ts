import type { AvroCodec } from '@fleet/contracts';
import { EVENT_STORE, type EventStore } from '@fleet/event-store';
import { EventRelay, MESSAGE_PUBLISHER, type MessagePublisher } from '@fleet/messaging';
import { Metrics } from '@fleet/observability';
import { AVRO_CODEC, LeaderLease, PG_POOL } from '@fleet/platform';
import type { Pool } from 'pg';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { ALERTING_CONFIG, type AlertingConfig } from '../../config';

/**
 * alerting owns the `alert-` streams, so it relays them to `fleet.alert-events.v1`
 * (ALERT_EVENTS_TOPIC), keyed by device id (the alert id for campaign alerts).
 */
@Injectable()
export class AlertEventsRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AlertEventsRelay.name);
  readonly relay: EventRelay;
  private readonly lease: LeaderLease;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(MESSAGE_PUBLISHER) publisher: MessagePublisher,
    @Inject(AVRO_CODEC) codec: AvroCodec,
    @Inject(ALERTING_CONFIG) config: AlertingConfig,
    @Inject(PG_POOL) pool: Pool,
    metrics: Metrics,
  ) {
    const relayed = metrics.counter('fleet_relay_events_total', 'Domain events relayed to Kafka', [
      'topic',
      'type',
    ]);
    const failures = metrics.counter(
      'fleet_relay_failures_total',
      'Relay attempts that failed and will be retried',
      [],
    );
    this.relay = new EventRelay(store, publisher, codec, {
      subscriptionId: 'relay-alert',
      streamPrefixes: ['alert-'],
      topicForStream: () => config.ALERT_EVENTS_TOPIC,
      onRelayed: (event, topic) => relayed.inc({ topic, type: event.type }),
      onError: (error) => {
        failures.inc();
        this.logger.error({ err: error }, 'relaying alert events failed; retrying');
      },
    });
    // One relay per stream category across replicas (see LeaderLease).
    this.lease = new LeaderLease(pool, 'relay-alert', this.relay);
  }

  onApplicationBootstrap(): Promise<void> {
    return this.lease.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.lease.stop();
  }
}
