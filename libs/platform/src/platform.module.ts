import { AuthModule, authConfigFromEnv, authEnvSchema } from '@fleet/auth';
import { EVENT_STORE, type EventStore } from '@fleet/event-store';
import {
  DEVICE_BROKER_ACCESS,
  MESSAGE_PUBLISHER,
  MosquittoDynamicSecurity,
  type KafkaPublisher,
  type MqttConnection,
} from '@fleet/messaging';
import { HealthChecks, ObservabilityModule } from '@fleet/observability';
import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { infrastructureProviders, mqttConnection } from './infrastructure.providers';
import type { PlatformConfig } from './platform.config';
import type { z } from 'zod';
import { AVRO_CODEC, KAFKA, MQTT_CONNECTION, PG_POOL, PLATFORM_CONFIG, SERVICE_NAME } from './tokens';

export interface PlatformOptions {
  readonly service: string;
  /** The service's validated configuration (platform keys plus its own). */
  readonly config: PlatformConfig & z.infer<typeof authEnvSchema>;
  /** Whether the service talks to devices over MQTT (adds the connection and its readiness check). */
  readonly mqtt?: boolean;
}

/**
 * What every service shares: logs, metrics and probes, the bearer-token guard, PostgreSQL, the
 * event store, Kafka and Avro codecs, with readiness checks for each connection and an orderly
 * close after the service's own consumers have stopped (Nest calls onApplicationShutdown last).
 */
@Global()
@Module({})
export class PlatformModule implements OnModuleInit, OnApplicationShutdown {
  private admin?: Admin;

  constructor(
    private readonly health: HealthChecks,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(MESSAGE_PUBLISHER) private readonly publisher: KafkaPublisher,
    @Inject(MQTT_CONNECTION) private readonly mqtt: MqttConnection | undefined,
  ) {}

  static forRoot({ service, config, mqtt = false }: PlatformOptions): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      imports: [
        ObservabilityModule.forRoot({ service, logLevel: config.LOG_LEVEL }),
        AuthModule.forRoot(authConfigFromEnv(config)),
      ],
      providers: [
        { provide: SERVICE_NAME, useValue: service },
        { provide: PLATFORM_CONFIG, useValue: config },
        ...infrastructureProviders,
        { provide: MQTT_CONNECTION, useFactory: () => (mqtt ? mqttConnection(service, config) : undefined) },
        {
          provide: DEVICE_BROKER_ACCESS,
          inject: [MQTT_CONNECTION],
          useFactory: (connection: MqttConnection | undefined) =>
            connection ? new MosquittoDynamicSecurity(() => connection.connect()) : undefined,
        },
      ],
      exports: [
        SERVICE_NAME,
        PLATFORM_CONFIG,
        PG_POOL,
        EVENT_STORE,
        KAFKA,
        MESSAGE_PUBLISHER,
        AVRO_CODEC,
        MQTT_CONNECTION,
        DEVICE_BROKER_ACCESS,
      ],
    };
  }

  onModuleInit(): void {
    this.health.register('postgres', async () => void (await this.pool.query('select 1')));
    this.health.register('event-store', () => this.store.ping());
    this.health.register('kafka', async () => {
      this.admin ??= this.kafka.admin();
      await this.admin.connect();
      await this.admin.describeCluster();
    });
    const mqtt = this.mqtt;
    if (mqtt) this.health.register('mqtt', () => mqtt.check());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.mqtt?.close().catch(() => undefined);
    await this.publisher.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    await this.store.close().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}
