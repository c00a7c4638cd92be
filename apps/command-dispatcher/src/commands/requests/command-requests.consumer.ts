import { ValidationError, type EventMetadata } from '@fleet/core';
import {
  COMMAND_REQUEST_SCHEMA,
  fromCommandRequestRecord,
  type AvroCodec,
  type CommandRequestMessage,
} from '@fleet/contracts';
import { checkOperation } from '@fleet/device-protocol';
import {
  MESSAGE_PUBLISHER,
  NonRetriableError,
  startBatchConsumer,
  toDeadLetter,
  type DecodedBatch,
  type IncomingMessage,
  type MessagePublisher,
  type RunningConsumer,
} from '@fleet/messaging';
import { Metrics } from '@fleet/observability';
import { AVRO_CODEC, KAFKA } from '@fleet/platform';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { COMMAND_DISPATCHER_CONFIG, type CommandDispatcherConfig } from '../../config';
import { DeviceDirectory } from '../../devices/directory/device-directory';
import type { CommandOrigin, Operation, OperationRequest } from '../command-events';
import { CommandService, type CommandInput } from '../request-command/command-service';

const ORIGINS: readonly CommandOrigin[] = ['campaign', 'job'];

/**
 * Commands other services ask for over Kafka (`fleet.command-requests.v1`): each becomes a command
 * exactly like an operator's, gates included, under the id the requester chose, so a request
 * delivered twice records one command. What cannot become a command (undecodable, an operation the
 * registry refuses, an unknown device) goes to the dead-letter topic with the reason.
 */
@Injectable()
export class CommandRequestsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(CommandRequestsConsumer.name);
  private consumer?: RunningConsumer;
  private readonly recorded;

  constructor(
    @Inject(KAFKA) private readonly kafka: Parameters<typeof startBatchConsumer>[0],
    @Inject(MESSAGE_PUBLISHER) private readonly publisher: MessagePublisher,
    @Inject(AVRO_CODEC) private readonly codec: AvroCodec,
    @Inject(COMMAND_DISPATCHER_CONFIG) private readonly config: CommandDispatcherConfig,
    private readonly commands: CommandService,
    private readonly devices: DeviceDirectory,
    metrics: Metrics,
  ) {
    this.recorded = metrics.counter(
      'fleet_command_requests_total',
      'Command requests received over Kafka, by outcome',
      ['outcome'],
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = await startBatchConsumer(this.kafka, this.publisher, {
      groupId: `${this.config.DISPATCHER_GROUP_PREFIX}-requests`,
      topics: [this.config.COMMAND_REQUESTS_TOPIC],
      decode: (message) => this.decode(message),
      handleBatch: (batch) => this.handle(batch),
      onDeadLetter: (message, error) => {
        this.recorded.inc({ outcome: 'dead-lettered' });
        this.logger.warn({ offset: message.offset, err: error }, 'command request dead-lettered');
      },
      onRetry: (error, attempt) =>
        this.logger.error({ err: error, attempt }, 'command request batch failed; retrying'),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
  }

  private decode(message: IncomingMessage): CommandRequestMessage {
    if (!message.value) throw new NonRetriableError('empty command request');
    const decoded = this.codec.decode<Parameters<typeof fromCommandRequestRecord>[0]>(message.value);
    if (decoded.schema !== COMMAND_REQUEST_SCHEMA) {
      throw new NonRetriableError(`expected ${COMMAND_REQUEST_SCHEMA}, got ${decoded.schema}`);
    }
    const request = fromCommandRequestRecord(decoded.value);
    if (!ORIGINS.includes(request.origin as CommandOrigin)) {
      throw new NonRetriableError(`origin must be one of ${ORIGINS.join(', ')}, got ${request.origin}`);
    }
    try {
      checkOperation(operationOf(request));
    } catch (error) {
      if (error instanceof ValidationError) throw new NonRetriableError(error.message);
      throw error;
    }
    return request;
  }

  private async handle({ topic, items }: DecodedBatch<CommandRequestMessage>): Promise<void> {
    const known = await this.devices.findMany([...new Set(items.map((i) => i.value.deviceId))]);
    const unknown = items.filter((i) => !known.has(i.value.deviceId));
    if (unknown.length > 0) {
      // The device may not have reached the dispatcher's directory yet; a requester times out its step.
      await this.publisher.publish(
        `${topic}.dlt`,
        unknown.map((i) =>
          toDeadLetter(
            i.message,
            new NonRetriableError(`device ${i.value.deviceId} is unknown to the dispatcher`),
            `${this.config.DISPATCHER_GROUP_PREFIX}-requests`,
          ),
        ),
      );
      this.recorded.inc({ outcome: 'unknown-device' }, unknown.length);
    }
    const inputs = items.filter((i) => known.has(i.value.deviceId)).map((i) => inputOf(i.value));
    const outcomes = await this.commands.requestMany(inputs);
    for (const outcome of outcomes) this.recorded.inc({ outcome: outcome.refusal ? 'refused' : 'queued' });
  }
}

function operationOf(request: CommandRequestMessage): OperationRequest {
  return {
    operation: request.operation as Operation,
    path: request.path,
    value: request.value,
    arguments: request.arguments,
    attributes: request.attributes,
    instanceValues: request.instanceValues,
  };
}

function inputOf(request: CommandRequestMessage): CommandInput {
  const metadata: EventMetadata = {
    actor: request.actor,
    reason: request.reason ?? `requested by ${request.actor.id}`,
    occurredAt: request.requestedAt,
    correlationId: request.correlationId,
    causationId: request.causationId ?? request.commandId,
    tenant: request.tenant,
  };
  return {
    deviceId: request.deviceId,
    operation: operationOf(request),
    origin: request.origin as CommandOrigin,
    metadata,
    commandId: request.commandId,
    timeToLiveSeconds: request.timeToLiveSeconds ?? undefined,
    maxAttempts: request.maxAttempts ?? undefined,
  };
}
