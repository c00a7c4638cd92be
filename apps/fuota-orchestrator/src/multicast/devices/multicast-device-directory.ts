import {
  applyDeviceEvent,
  type AvroCodec,
  type DeviceEventFact,
  type DeviceFacts,
  type EventRecord,
} from '@fleet/contracts';
import {
  MESSAGE_PUBLISHER,
  NonRetriableError,
  startBatchConsumer,
  type DecodedBatch,
  type IncomingMessage,
  type MessagePublisher,
  type RunningConsumer,
} from '@fleet/messaging';
import { AVRO_CODEC, KAFKA, PG_POOL } from '@fleet/platform';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { Pool } from 'pg';
import { MULTICAST_CONFIG } from '../multicast-config.token';
import type { MulticastConfig } from '../multicast-config';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS fuota_multicast_devices (
  device_id text PRIMARY KEY,
  revision bigint NOT NULL,
  dev_eui text,
  facts jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS fuota_multicast_devices_dev_eui ON fuota_multicast_devices (dev_eui);
`;

/**
 * Which devices a session may name, by id or DevEUI: a copy of their facts folded from the
 * device-events topic (device-twin owns them), kept in `fuota_multicast_devices`.
 */
@Injectable()
export class MulticastDeviceDirectory implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(MulticastDeviceDirectory.name);
  private consumer?: RunningConsumer;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(KAFKA) private readonly kafka: Parameters<typeof startBatchConsumer>[0],
    @Inject(MESSAGE_PUBLISHER) private readonly publisher: MessagePublisher,
    @Inject(AVRO_CODEC) private readonly codec: AvroCodec,
    @Inject(MULTICAST_CONFIG) private readonly config: MulticastConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const client = await this.pool.connect();
    try {
      // Serialised: replicas starting together must not race on CREATE ... IF NOT EXISTS.
      await client.query('SELECT pg_advisory_lock(hashtext($1))', ['fuota-multicast-devices-schema']);
      await client.query(SCHEMA);
    } finally {
      await client
        .query('SELECT pg_advisory_unlock(hashtext($1))', ['fuota-multicast-devices-schema'])
        .catch(() => undefined);
      client.release();
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = await startBatchConsumer(this.kafka, this.publisher, {
      groupId: `${this.config.FUOTA_GROUP_PREFIX}-multicast-devices`,
      topics: [this.config.DEVICE_EVENTS_TOPIC],
      fromBeginning: true,
      decode: (message) => this.decode(message),
      handleBatch: (batch) => this.apply(batch),
      onDeadLetter: (message, error) =>
        this.logger.warn({ offset: message.offset, err: error }, 'device event dead-lettered'),
      onRetry: (error, attempt) =>
        this.logger.error({ err: error, attempt }, 'device events failed; retrying'),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
  }

  /** The facts of the devices named by id or DevEUI (any case), keyed by the name given. */
  async find(refs: readonly string[]): Promise<Map<string, DeviceFacts>> {
    const euis = refs.filter((r) => /^[0-9a-fA-F]{16}$/.test(r)).map((r) => r.toLowerCase());
    const { rows } = await this.pool.query<{ device_id: string; dev_eui: string | null; facts: DeviceFacts }>(
      'SELECT device_id, dev_eui, facts FROM fuota_multicast_devices WHERE device_id = ANY($1::text[]) OR dev_eui = ANY($2::text[])',
      [refs, euis],
    );
    const byId = new Map(rows.map((r) => [r.device_id, r.facts]));
    const byEui = new Map(rows.filter((r) => r.dev_eui !== null).map((r) => [r.dev_eui!, r.facts]));
    const found = new Map<string, DeviceFacts>();
    for (const ref of refs) {
      const facts = byId.get(ref) ?? byEui.get(ref.toLowerCase());
      if (facts) found.set(ref, facts);
    }
    return found;
  }

  private decode(message: IncomingMessage): DeviceEventFact {
    if (!message.value) throw new NonRetriableError('empty device event');
    const record = this.codec.decode<EventRecord>(message.value).value;
    const stream = record.envelope?.stream ?? '';
    if (!stream.startsWith('device-'))
      throw new NonRetriableError('not a device event (no device-<id> stream)');
    return {
      deviceId: stream.slice('device-'.length),
      revision: record.envelope.revision,
      type: record.envelope.eventType,
      data: record.data,
    };
  }

  private async apply({ items }: DecodedBatch<DeviceEventFact>): Promise<void> {
    const ids = [...new Set(items.map((i) => i.value.deviceId))];
    const { rows } = await this.pool.query<{ device_id: string; facts: DeviceFacts }>(
      'SELECT device_id, facts FROM fuota_multicast_devices WHERE device_id = ANY($1::text[])',
      [ids],
    );
    const facts = new Map(rows.map((r) => [r.device_id, r.facts]));
    const changed = new Map<string, DeviceFacts>();
    for (const { value } of items) {
      const next = applyDeviceEvent(changed.get(value.deviceId) ?? facts.get(value.deviceId), value);
      if (next) changed.set(value.deviceId, next);
    }
    if (changed.size === 0) return;
    await this.pool.query(
      `INSERT INTO fuota_multicast_devices AS d (device_id, revision, dev_eui, facts)
       SELECT f->>'deviceId', (f->>'revision')::bigint, lower(f->>'devEui'), f FROM jsonb_array_elements($1::jsonb) AS f
       ON CONFLICT (device_id) DO UPDATE SET revision = EXCLUDED.revision, dev_eui = EXCLUDED.dev_eui, facts = EXCLUDED.facts
       WHERE d.revision < EXCLUDED.revision`,
      [JSON.stringify([...changed.values()])],
    );
  }
}
