import { backoffDelay, type EventMetadata } from '@fleet/core';
import type { AvroCodec } from '@fleet/contracts';
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
import { AVRO_CODEC, KAFKA } from '@fleet/platform';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { COMMAND_DISPATCHER_CONFIG, type CommandDispatcherConfig } from '../../config';
import type { DeviceAnswer, RequestedCommand } from '../command';
import type { ReturnedValue } from '../command-events';
import { lorawanTagPrefix } from '../downlink';
import { Dispatcher } from '../dispatch/dispatcher';
import { CommandLedger, type Decision } from '../store/command-ledger';

const RESPONSE_SCHEMA = 'fleet.telemetry.CommandResponse';
const LORAWAN_TAG = /^lorawan-tag:(\d{1,5})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface CommandResponseRecord {
  messageId: string;
  deviceId: string;
  receivedAt: number;
  commandId: string;
  status: string;
  code: string | null;
  reason: string | null;
  observation: string | null;
  values: {
    path: string;
    time: number | null;
    numberValue: number | null;
    stringValue: string | null;
    booleanValue: boolean | null;
  }[];
}

interface Answer {
  readonly deviceId: string;
  readonly commandRef: string;
  readonly receivedAt: number;
  readonly messageId: string;
  readonly answer: DeviceAnswer;
}

/**
 * Turns devices' answers (`fleet.command-responses.v1`, from ingestion) into command events:
 * received → Delivered, succeeded → Succeeded with the values, failed → Failed or a retry.
 * Answers to unknown, finished or other devices' commands change nothing and are counted.
 */
@Injectable()
export class AnswersConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AnswersConsumer.name);
  private consumer?: RunningConsumer;
  private readonly ignored;

  constructor(
    @Inject(KAFKA) private readonly kafka: Parameters<typeof startBatchConsumer>[0],
    @Inject(MESSAGE_PUBLISHER) private readonly publisher: MessagePublisher,
    @Inject(AVRO_CODEC) private readonly codec: AvroCodec,
    @Inject(COMMAND_DISPATCHER_CONFIG) private readonly config: CommandDispatcherConfig,
    private readonly ledger: CommandLedger,
    private readonly dispatcher: Dispatcher,
    metrics: Metrics,
  ) {
    this.ignored = metrics.counter(
      'fleet_command_answers_ignored_total',
      'Device answers that matched no open command',
      ['reason'],
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = await startBatchConsumer(this.kafka, this.publisher, {
      groupId: `${this.config.DISPATCHER_GROUP_PREFIX}-answers`,
      topics: [this.config.COMMAND_RESPONSES_TOPIC],
      decode: (message) => this.decode(message),
      handleBatch: (batch) => this.handle(batch),
      onDeadLetter: (message, error) =>
        this.logger.warn({ offset: message.offset, err: error }, 'answer dead-lettered'),
      onRetry: (error, attempt) =>
        this.logger.error({ err: error, attempt }, 'answer batch failed; retrying'),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
  }

  private decode(message: IncomingMessage): Answer {
    if (!message.value) throw new NonRetriableError('empty command response');
    const decoded = this.codec.decode<CommandResponseRecord>(message.value);
    if (decoded.schema !== RESPONSE_SCHEMA)
      throw new NonRetriableError(`expected ${RESPONSE_SCHEMA}, got ${decoded.schema}`);
    const r = decoded.value;
    if (r.status !== 'received' && r.status !== 'succeeded' && r.status !== 'failed') {
      throw new NonRetriableError(`unknown answer status ${JSON.stringify(r.status)}`);
    }
    return {
      deviceId: r.deviceId,
      commandRef: r.commandId,
      receivedAt: r.receivedAt,
      messageId: r.messageId,
      answer: { status: r.status, code: r.code, reason: r.reason, values: r.values.map(returnedValue) },
    };
  }

  private async handle({ items }: DecodedBatch<Answer>): Promise<void> {
    const answers = items.map((i) => i.value);
    const resolved = await Promise.all(answers.map((a) => this.resolve(a)));
    const known = await this.ledger.rows.findMany(resolved.filter((id): id is string => id !== null));
    const decisions: Decision[] = [];
    answers.forEach((a, i) => {
      const id = resolved[i];
      const command = id ? known.get(id) : undefined;
      if (!command) return this.ignored.inc({ reason: 'unknown-command' });
      if (command.request.deviceId !== a.deviceId) return this.ignored.inc({ reason: 'other-device' });
      const now = new Date(a.receivedAt).toISOString();
      decisions.push({
        commandId: command.request.commandId,
        // Several answers to one command in a batch: each must see the state the previous left.
        known: undefined,
        metadata: this.metadata(a, command, now),
        command: {
          type: 'RecordAnswer',
          answer: a.answer,
          now,
          retryDelayMs: backoffDelay(command.attempt, {
            baseMs: this.config.RETRY_BASE_MS,
            maxMs: 3_600_000,
          }),
        },
      });
    });
    // Answers of one command in order; different commands side by side.
    const byCommand = new Map<string, Decision[]>();
    for (const d of decisions) byCommand.set(d.commandId, [...(byCommand.get(d.commandId) ?? []), d]);
    const firsts = [...byCommand.values()].map((list) => ({
      ...list[0]!,
      known: known.get(list[0]!.commandId),
    }));
    await this.ledger.decideAll(firsts);
    for (const list of byCommand.values()) for (const later of list.slice(1)) await this.ledger.decide(later);
    this.dispatcher.kick([...new Set(answers.map((a) => a.deviceId))]);
  }

  /** The command an answer is about: its id, or for LoRaWAN the open command whose tag it carries. */
  private async resolve(answer: Answer): Promise<string | null> {
    if (UUID.test(answer.commandRef)) return answer.commandRef;
    const tag = LORAWAN_TAG.exec(answer.commandRef)?.[1];
    if (tag === undefined) return null;
    const open = await this.ledger.rows.findOpenByPrefix(answer.deviceId, lorawanTagPrefix(Number(tag)));
    return open[0]?.request.commandId ?? null;
  }

  private metadata(answer: Answer, command: RequestedCommand, now: string): EventMetadata {
    return {
      actor: { type: 'device', id: answer.deviceId },
      reason: answer.answer.reason ?? `the device answered ${answer.answer.status}`,
      occurredAt: now,
      correlationId: command.request.commandId,
      causationId: answer.messageId,
      tenant: 'default',
    };
  }
}

function returnedValue(v: CommandResponseRecord['values'][number]): ReturnedValue {
  return {
    path: v.path,
    value: v.numberValue ?? v.stringValue ?? v.booleanValue ?? '',
    time: v.time === null ? null : new Date(v.time).toISOString(),
  };
}
