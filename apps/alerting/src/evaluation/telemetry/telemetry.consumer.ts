import {
  MESSAGE_PUBLISHER,
  startBatchConsumer,
  type DecodedBatch,
  type MessagePublisher,
  type RunningConsumer,
} from '@fleet/messaging';
import { Metrics } from '@fleet/observability';
import { KAFKA, PG_POOL } from '@fleet/platform';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Pool } from 'pg';
import { alertIdFor } from '../../alerts/alert-writer/alert-identity';
import { AlertWriter } from '../../alerts/alert-writer/alert-writer';
import { ALERTING_CONFIG, type AlertingConfig } from '../../config';
import { DeviceDirectory, toFacts, type DeviceRow } from '../../devices/directory/device-directory';
import { Lru } from '../../devices/lru';
import { WindowRegistry } from '../../maintenance/windows/window-registry';
import { RuleRegistry } from '../../rules/rule-registry/rule-registry';
import { AlertingStorage } from '../../storage/postgres/alerting-storage';
import { AlertStateStore } from '../../storage/postgres/alert-state.store';
import { OffsetLedger } from '../../storage/postgres/offset-ledger';
import { TABLES } from '../../storage/postgres/tables';
import { numberArray, textArray } from '../../storage/postgres/array-literals';
import { LOCKS, type Tx } from '../../storage/postgres/transaction';
import { AlertSlots, type AlertDecision, type AlertSlot } from '../alert-slots';
import type { RateWindow } from '../rate-window';
import type { RuleSet } from '../rule-set';
import { suppressedUntil } from '../suppression';
import { evaluateTelemetry, type TelemetryObservation } from '../telemetry-evaluation';
import { fromStoredWindow, journalRow } from './activity-journal';
import { TelemetryDecoder } from './telemetry-decoder';

interface Evaluation {
  readonly decisions: AlertDecision[];
  readonly slots: AlertSlots;
  readonly rates: Map<string, RateWindow>;
}

/**
 * Evaluates the telemetry topic against the threshold, rate and silence rules, a partition batch
 * at a time. One transaction per batch holds everything the batch changes: the alert slots, one
 * journal row with each device's last uplink (merged into the silence index by the deadline
 * tracker, off this path) and the partition's next offset. Alert events are appended before it
 * commits, idempotently, so a crash anywhere neither loses nor duplicates an alert.
 */
@Injectable()
export class TelemetryEvaluation implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TelemetryEvaluation.name);
  private readonly ledger = new OffsetLedger(TABLES.kafkaOffsets);
  private readonly alertState = new AlertStateStore(TABLES.alertState);
  private readonly rates: Lru<string, RateWindow>;
  private consumers: RunningConsumer[] = [];
  private readonly decoder = new TelemetryDecoder();
  private readonly messages;
  private readonly batchSeconds;

  constructor(
    @Inject(KAFKA) private readonly kafka: Parameters<typeof startBatchConsumer>[0],
    @Inject(MESSAGE_PUBLISHER) private readonly publisher: MessagePublisher,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(ALERTING_CONFIG) private readonly config: AlertingConfig,
    private readonly storage: AlertingStorage,
    private readonly rules: RuleRegistry,
    private readonly windows: WindowRegistry,
    private readonly directory: DeviceDirectory,
    private readonly writer: AlertWriter,
    metrics: Metrics,
  ) {
    this.rates = new Lru(config.ALERTING_DEVICE_CACHE_SIZE);
    this.messages = metrics.counter(
      'fleet_alerting_telemetry_messages_total',
      'Uplinks evaluated against the rules',
    );
    this.batchSeconds = metrics.histogram(
      'fleet_alerting_telemetry_batch_seconds',
      'Time to evaluate and commit one telemetry batch',
      [],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.storage.ready;
    for (let i = 0; i < this.config.ALERTING_TELEMETRY_CONSUMERS; i++) {
      this.consumers.push(
        await startBatchConsumer(this.kafka, this.publisher, {
          groupId: this.config.TELEMETRY_GROUP_ID,
          topics: [this.config.TELEMETRY_TOPIC],
          decode: (message) => this.decoder.decode(message),
          handleBatch: (batch) => this.handle(batch),
          onDeadLetter: (message, error) =>
            this.logger.warn(
              { offset: message.offset, partition: message.partition, err: error },
              'telemetry dead-lettered',
            ),
          onRetry: (error, attempt) =>
            this.logger.error({ err: error, attempt }, 'telemetry batch failed; retrying'),
        }),
      );
    }
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }

  private async handle({ topic, partition, items }: DecodedBatch<TelemetryObservation>): Promise<void> {
    const started = process.hrtime.bigint();
    const rules = this.rules.ruleSet;
    const deviceIds = [...new Set(items.map((i) => i.value.deviceId))];
    await this.prefetch(deviceIds, rules.rate.length > 0);
    const lastOffset = BigInt(items.at(-1)!.message.offset);
    const client = await this.pool.connect();
    let evaluation: { result: Evaluation; count: number } | undefined;
    try {
      const firstNew = await this.ledger.open(client, topic, partition, LOCKS.activity);
      const fresh = items.filter((i) => BigInt(i.message.offset) >= firstNew).map((i) => i.value);
      if (fresh.length === 0) {
        await client.query('rollback');
        return;
      }
      const stored = await this.alertState.activeOf(client, [...new Set(fresh.map((o) => o.deviceId))]);
      let result = this.evaluate(fresh, rules, stored);
      const unknown = result.slots.unknownRaises();
      if (unknown.length > 0) {
        // Raising needs the pair's episode number, kept with its (closed) slot: read those and decide again.
        result = this.evaluate(fresh, rules, [...stored, ...(await this.alertState.of(client, unknown))]);
      }
      await this.writer.apply(result.decisions, result.slots, rules);
      await this.alertState.save(
        client,
        result.slots.changes(),
        (id) => rules.get(id)?.definition.condition.kind ?? 'unknown',
      );
      await this.journal(client, fresh, result.rates, rules);
      await this.ledger.commit(client, topic, partition, lastOffset);
      evaluation = { result, count: fresh.length };
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    for (const [deviceId, window] of evaluation.result.rates) this.rates.set(deviceId, window);
    this.messages.inc(evaluation.count);
    this.batchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
  }

  private evaluate(
    observations: readonly TelemetryObservation[],
    rules: RuleSet,
    stored: readonly AlertSlot[],
  ): Evaluation {
    const slots = new AlertSlots(stored, alertIdFor);
    // Rate windows change only once the batch commits; a second evaluation starts from the same ones.
    const rates = new Map<string, RateWindow>();
    const windows = this.windows.windows();
    const decisions = evaluateTelemetry(observations, {
      rules,
      slots,
      facts: (id) => this.directory.get(id),
      rateWindow: (id) => rates.get(id) ?? this.rates.peek(id),
      setRateWindow: (id, window) => rates.set(id, window),
      suppressedUntil: (rule, facts, at) => suppressedUntil(rule, facts, windows, at),
    });
    return { decisions, slots, rates };
  }

  private async journal(
    tx: Tx,
    observations: readonly TelemetryObservation[],
    rates: Map<string, RateWindow>,
    rules: RuleSet,
  ): Promise<void> {
    const row = journalRow(observations, rules.rate.length > 0 ? (id) => rates.get(id) : null);
    const w = row.windows;
    await tx.query(
      `insert into ${TABLES.journal} (devices, seen, battery, rssi, snr, window_start, previous_uplinks,
         current_uplinks, previous_airtime, current_airtime)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        textArray(row.devices),
        numberArray(row.seen),
        numberArray(row.battery),
        numberArray(row.rssi),
        numberArray(row.snr),
        w ? numberArray(w.windowStart) : null,
        w ? numberArray(w.previousUplinks) : null,
        w ? numberArray(w.currentUplinks) : null,
        w ? numberArray(w.previousAirtimeMs) : null,
        w ? numberArray(w.currentAirtimeMs) : null,
      ],
    );
  }

  /**
   * Device facts (for scopes and suppression) and rate windows of the devices this replica has not
   * seen lately (or no longer trusts), in one query for the batch.
   */
  private async prefetch(deviceIds: readonly string[], rates: boolean): Promise<void> {
    const now = Date.now();
    const facts = new Set(this.directory.missing(deviceIds, now));
    const windows = rates ? deviceIds.filter((id) => this.rates.peek(id) === undefined) : [];
    if (facts.size === 0 && windows.length === 0) return;
    const ids = [...new Set([...facts, ...windows])];
    const { rows } = await this.pool.query<DeviceRow & { rate_window: number[] | null }>(
      `select i.device_id, d.facts, d.campaign_id, d.campaign_until, a.rate_window
       from unnest($1::text[]) as i(device_id)
         left join ${TABLES.devices} d on d.device_id = i.device_id
         left join ${TABLES.activity} a on a.device_id = i.device_id`,
      [textArray(ids)],
    );
    for (const row of rows) {
      if (facts.has(row.device_id))
        this.directory.remember(row.device_id, row.facts ? toFacts(row) : null, now);
      if (row.rate_window) this.rates.set(row.device_id, fromStoredWindow(row.rate_window));
    }
  }
}
