import { FleetError, type Actor } from '@fleet/core';
import { type AvroCodec, type EventRecord, fromCommandEventRecord } from '@fleet/contracts';
import { EVENT_STORE, type EventStore } from '@fleet/event-store';
import {
  MESSAGE_PUBLISHER,
  NonRetriableError,
  startBatchConsumer,
  type DecodedBatch,
  type IncomingMessage,
  type MessagePublisher,
  type RunningConsumer,
} from '@fleet/messaging';
import { Metrics } from '@fleet/observability';
import { AVRO_CODEC, KAFKA, commandMetadata } from '@fleet/platform';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { DEVICE_TWIN_CONFIG, type DeviceTwinConfig } from '../../config';
import type { ConfigurationChanges } from '../configuration';
import { deviceStream } from '../device';
import { DeviceCommandHandler } from '../device-commands/device-command.handler';
import {
  acknowledgementOf,
  settledBy,
  type AcknowledgedWrite,
  type CommandSucceededData,
} from './acknowledged-write';

const SUCCEEDED = 'CommandSucceeded';
const SUCCEEDED_SCHEMA = `fleet.command.${SUCCEEDED}`;
/** Refusals of the device aggregate that retrying will not change (device unknown or retired). */
const REFUSALS = new Set(['NOT_FOUND', 'CONFLICT', 'ILLEGAL_STATE', 'VALIDATION_FAILED']);

type Outcome = 'applied' | 'unchanged' | 'duplicate' | 'superseded' | 'ignored';

/**
 * Closes the configuration loop: when a device acknowledges a configuration-loop Write
 * (`CommandSucceeded` with a `configurationKey` on the command events topic), the written value
 * becomes reported configuration on the device (`ConfigurationApplied`, actor: the device).
 *
 * Idempotent by event id: the `ConfigurationApplied` is caused by the `CommandSucceeded`'s id, so a
 * redelivered record finds it in the device's stream and changes nothing; an acknowledgement older
 * than a later report of the same key is not applied over it either.
 */
@Injectable()
export class CommandOutcomesConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(CommandOutcomesConsumer.name);
  private consumer?: RunningConsumer;
  private readonly outcomes;

  constructor(
    @Inject(KAFKA) private readonly kafka: Parameters<typeof startBatchConsumer>[0],
    @Inject(MESSAGE_PUBLISHER) private readonly publisher: MessagePublisher,
    @Inject(AVRO_CODEC) private readonly codec: AvroCodec,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DEVICE_TWIN_CONFIG) private readonly config: DeviceTwinConfig,
    private readonly commands: DeviceCommandHandler,
    metrics: Metrics,
  ) {
    this.outcomes = metrics.counter(
      'fleet_twin_acknowledged_configuration_total',
      'Configuration writes acknowledged by devices, by what recording them did',
      ['outcome'],
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = await startBatchConsumer(this.kafka, this.publisher, {
      groupId: this.config.COMMAND_EVENTS_GROUP_ID,
      topics: [this.config.COMMAND_EVENTS_TOPIC],
      decode: (message) => this.decode(message),
      handleBatch: (batch) => this.handle(batch),
      onDeadLetter: (message, error) =>
        this.logger.warn(
          { offset: message.offset, partition: message.partition, err: error },
          'command event dead-lettered',
        ),
      onRetry: (error, attempt) =>
        this.logger.error({ err: error, attempt }, 'command outcomes batch failed; retrying'),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
  }

  /** The acknowledged write a record carries, or null for the many records that carry none. */
  private decode(message: IncomingMessage): AcknowledgedWrite | null {
    // Most command events are not successes: the relay's header spares decoding them.
    const type = message.headers['event-type'];
    if (type !== undefined && type !== SUCCEEDED) return null;
    if (!message.value) throw new NonRetriableError('empty command event');
    const decoded = this.codec.decode<EventRecord>(message.value);
    if (!decoded.schema.startsWith('fleet.command.')) {
      throw new NonRetriableError(`expected a command event, got ${decoded.schema}`);
    }
    if (decoded.schema !== SUCCEEDED_SCHEMA) return null;
    const { envelope } = decoded.value;
    const { data } = fromCommandEventRecord<{ type: string; data: CommandSucceededData }>(decoded.value);
    if (message.key !== null && message.key !== data.deviceId) {
      throw new NonRetriableError(`record key ${message.key} is not the device id ${data.deviceId}`);
    }
    const acknowledgement = acknowledgementOf(data, envelope);
    if (acknowledgement.kind === 'unknown-key') {
      this.outcomes.inc({ outcome: 'ignored' });
      this.logger.warn(
        { commandId: data.commandId, key: acknowledgement.key },
        'acknowledged write of a configuration key device-twin does not manage; ignored',
      );
    }
    return acknowledgement.kind === 'write' ? acknowledgement.write : null;
  }

  private async handle({ items }: DecodedBatch<AcknowledgedWrite | null>): Promise<void> {
    // One at a time: a partition holds a device's records in order, and so must their effects.
    for (const { value } of items) if (value) this.outcomes.inc({ outcome: await this.record(value) });
  }

  private async record(write: AcknowledgedWrite): Promise<Outcome> {
    const later = await this.store.readStream(deviceStream(write.deviceId), {
      types: ['ConfigurationApplied'],
      occurredFrom: new Date(write.acknowledgedAt).toISOString(),
    });
    const settled = settledBy(
      write,
      later.map((event) => ({
        causationId: event.metadata.causationId,
        reported: event.data['reported'] as ConfigurationChanges,
      })),
    );
    if (settled) return settled;
    const device: Actor = { type: 'device', id: write.deviceId };
    try {
      const { events } = await this.commands.execute(
        {
          type: 'RecordDeviceReport',
          deviceId: write.deviceId,
          reported: { [write.key]: write.value },
          firmwareVersion: null,
        },
        {
          ...commandMetadata({
            actor: device,
            reason: `acknowledged configuration write ${write.commandId}`,
            correlationId: write.correlationId,
            tenant: write.tenant,
            now: new Date(write.acknowledgedAt),
          }),
          // The events' causation id is the command id: the acknowledgement is what caused them,
          // and finding it there is what makes a redelivery a no-op.
          commandId: write.eventId,
        },
      );
      return events.length > 0 ? 'applied' : 'unchanged';
    } catch (error) {
      if (!(error instanceof FleetError) || !REFUSALS.has(error.code)) throw error;
      this.logger.warn(
        { deviceId: write.deviceId, commandId: write.commandId, reason: error.message },
        'acknowledged configuration write not recorded',
      );
      return 'ignored';
    }
  }
}
