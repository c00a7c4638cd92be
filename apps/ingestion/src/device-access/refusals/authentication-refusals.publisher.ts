import { AVRO_CONTENT_TYPE, type AvroCodec } from '@fleet/contracts';
import { BatchingPublisher, MESSAGE_PUBLISHER, type MessagePublisher } from '@fleet/messaging';
import { Metrics } from '@fleet/observability';
import { AVRO_CODEC } from '@fleet/platform';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { INGESTION_CONFIG, type IngestionConfig } from '../../config';
import type { AuthenticationRefusal } from '../authentication-refusals';

const SCHEMA = 'fleet.access.DeviceAuthenticationRefused';

/**
 * Publishes failed authentications as a device on the device-access topic, keyed by device id
 * (empty when the refusal names no known device), and counts them. Refusals are logged at debug
 * only: a credential-stuffing run would otherwise flood the log; the metric and topic carry them.
 */
@Injectable()
export class AuthenticationRefusals implements OnApplicationShutdown {
  private readonly logger = new Logger(AuthenticationRefusals.name);
  private readonly batcher: BatchingPublisher;
  private readonly refusals;

  constructor(
    @Inject(MESSAGE_PUBLISHER) publisher: MessagePublisher,
    @Inject(AVRO_CODEC) private readonly codec: AvroCodec,
    @Inject(INGESTION_CONFIG) private readonly config: IngestionConfig,
    metrics: Metrics,
  ) {
    this.batcher = new BatchingPublisher(publisher, {
      maxBatch: 500,
      lingerMs: config.INGESTION_LINGER_MS,
      onSendError: (error, topic, attempt) =>
        this.logger.error({ err: error, topic, attempt }, 'Kafka send of refusals failed; retrying'),
    });
    this.refusals = metrics.counter(
      'fleet_ingestion_authentication_refusals_total',
      'Failed authentications as a device, by transport and reason; attributed = names a known device',
      ['transport', 'reason', 'attributed'],
    );
  }

  /** Calls `done` once the record is on Kafka (an MQTT message is acknowledged only then). */
  publish(refusal: AuthenticationRefusal, done: () => void = () => undefined): void {
    this.refusals.inc({
      transport: refusal.transport,
      reason: refusal.reason,
      attributed: String(refusal.deviceId !== null),
    });
    this.logger.debug(
      {
        deviceId: refusal.deviceId,
        clientId: refusal.clientId,
        devEui: refusal.devEui,
        reason: refusal.reason,
      },
      'authentication refused',
    );
    this.batcher.add(
      this.config.DEVICE_ACCESS_TOPIC,
      {
        key: refusal.deviceId ?? '',
        value: this.codec.encode(SCHEMA, refusal),
        headers: { 'content-type': AVRO_CONTENT_TYPE, 'avro-schema': SCHEMA },
      },
      done,
    );
  }

  onApplicationShutdown(): void {
    this.batcher.stop();
  }
}
