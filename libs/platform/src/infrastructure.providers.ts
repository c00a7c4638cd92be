import { AvroCodec, SchemaCatalogue } from '@fleet/contracts';
import { EVENT_STORE, EventStoreDbEventStore, PostgresEventStore, type EventStore } from '@fleet/event-store';
import { mqttLogin } from './mqtt-credentials';
import { createKafka, KafkaPublisher, MESSAGE_PUBLISHER, MqttConnection } from '@fleet/messaging';
import { hostname } from 'node:os';
import type { Provider } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import type { PlatformConfig } from './platform.config';
import { AVRO_CODEC, KAFKA, PG_POOL, PLATFORM_CONFIG, SERVICE_NAME } from './tokens';

const kafkaLogger = new Logger('kafka');

export const infrastructureProviders: Provider[] = [
  {
    provide: PG_POOL,
    inject: [PLATFORM_CONFIG, SERVICE_NAME],
    useFactory: (config: PlatformConfig, service: string) =>
      new Pool({ connectionString: config.PG_URL, max: config.PG_POOL_SIZE, application_name: service }),
  },
  {
    provide: EVENT_STORE,
    inject: [PLATFORM_CONFIG, PG_POOL],
    useFactory: async (config: PlatformConfig, pool: Pool): Promise<EventStore> => {
      if (config.EVENT_STORE === 'eventstoredb') {
        return new EventStoreDbEventStore({ connectionString: config.EVENTSTORE_URL as string });
      }
      const store = new PostgresEventStore({ pool, schema: config.EVENT_STORE_SCHEMA });
      await store.ensureSchema();
      return store;
    },
  },
  {
    provide: KAFKA,
    inject: [PLATFORM_CONFIG, SERVICE_NAME],
    useFactory: (config: PlatformConfig, service: string): Kafka =>
      createKafka({
        brokers: config.KAFKA_BROKERS,
        clientId: service,
        sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
        log: (level, message, extra) =>
          kafkaLogger[level === 'error' ? 'error' : 'warn']({ ...extra, msg: message }),
      }),
  },
  {
    provide: MESSAGE_PUBLISHER,
    inject: [KAFKA],
    // Connects on first publish: a service whose broker is down still boots and reports not ready.
    useFactory: (kafka: Kafka) => new KafkaPublisher(kafka),
  },
  { provide: AVRO_CODEC, useFactory: () => new AvroCodec(SchemaCatalogue.load()) },
];

/** The service's own MQTT connection; a unique client id per process so replicas coexist. */
export function mqttConnection(service: string, config: PlatformConfig): MqttConnection {
  return new MqttConnection({
    url: config.MQTT_URL,
    clientId: `${service}-${hostname()}-${process.pid}`,
    ...mqttLogin(config),
  });
}
