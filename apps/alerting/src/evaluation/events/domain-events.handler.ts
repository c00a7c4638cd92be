import { Inject, Injectable } from '@nestjs/common';
import { ALERTING_CONFIG, type AlertingConfig } from '../../config';
import { DeviceDirectory } from '../../devices/directory/device-directory';
import type { DeviceFacts } from '../../devices/device-facts';
import { TABLES } from '../../storage/postgres/tables';
import { checkCampaign, type CampaignProgress } from '../campaign-error-rate';
import { evaluateEvent, type EventRule, type ObservedEvent } from '../event-rules';
import type { EventBatch } from './event-batch';
import type { IncomingEvent } from './event-decoding';

/**
 * Event rules over every source (N matching events of a device within T), with each event's data
 * merged over its stream's earlier data so that a `CommandSucceeded` can be matched on the path
 * its `CommandRequested` named; and campaign bookkeeping: a device's campaign step suppresses its
 * alerts, its outcome counts towards the campaign's error rate.
 */
@Injectable()
export class DomainEventsHandler {
  constructor(
    @Inject(ALERTING_CONFIG) private readonly config: AlertingConfig,
    private readonly directory: DeviceDirectory,
  ) {}

  async handle(event: IncomingEvent, batch: EventBatch): Promise<void> {
    const rules = batch.rules.event.filter((r) => r.definition.condition.source === event.source);
    // Device events are deduplicated by revision already; only counting them needs their ids.
    if (event.source === 'device-events' && rules.length === 0) return;
    if (!(await this.firstTime(event, batch))) return;
    const data = event.source === 'device-events' ? event.data : await this.mergeStream(event, batch);
    const deviceId = typeof data['deviceId'] === 'string' ? data['deviceId'] : event.deviceId;
    if (event.source === 'campaign-events') await this.campaignStep(event, deviceId, batch);
    if (rules.length > 0 && deviceId) {
      const facts = (await this.directory.read(batch.tx, [deviceId])).get(deviceId) ?? null;
      await this.evaluateRules({ ...event, deviceId, data }, rules, facts, batch);
    }
  }

  /** Records the event id; false when it was handled before (a relay may publish twice). */
  private async firstTime(event: IncomingEvent, batch: EventBatch): Promise<boolean> {
    const inserted = await batch.tx.query(
      `insert into ${TABLES.inbox} (event_id) values ($1) on conflict do nothing`,
      [event.eventId],
    );
    return inserted.rowCount === 1;
  }

  private async mergeStream(
    event: IncomingEvent,
    batch: EventBatch,
  ): Promise<Readonly<Record<string, unknown>>> {
    if (!event.stream) return event.data;
    const { rows } = await batch.tx.query<{ data: Record<string, unknown> }>(
      `insert into ${TABLES.streamData} as s (stream, data) values ($1, $2::jsonb)
       on conflict (stream) do update set data = s.data || excluded.data, updated_at = now()
       returning data`,
      [event.stream, JSON.stringify(event.data)],
    );
    return rows[0]?.data ?? event.data;
  }

  private async evaluateRules(
    event: ObservedEvent & { deviceId: string },
    rules: readonly EventRule[],
    facts: DeviceFacts | null,
    batch: EventBatch,
  ): Promise<void> {
    const subject = event.deviceId;
    await batch.loadSlots(
      rules.map((r) => r.ruleId),
      subject,
    );
    const { rows } = await batch.tx.query<{ rule_id: string; times: string[] }>(
      `select rule_id, times from ${TABLES.eventOccurrences} where subject = $1 and rule_id = any($2::text[]) for update`,
      [subject, rules.map((r) => r.ruleId)],
    );
    const occurrences = new Map(rows.map((r) => [r.rule_id, r.times.map(Number)]));
    const changed = new Map<string, readonly number[]>();
    const decisions = evaluateEvent(
      event,
      rules,
      facts,
      batch.slots,
      {
        get: (ruleId) => changed.get(ruleId) ?? occurrences.get(ruleId) ?? [],
        set: (ruleId, _subject, times) => changed.set(ruleId, times),
      },
      batch.suppressedUntil,
    );
    batch.record(decisions);
    if (changed.size === 0) return;
    await batch.tx.query(
      `insert into ${TABLES.eventOccurrences} (rule_id, subject, times)
       select r, $1, t::bigint[] from unnest($2::text[], $3::text[]) as x(r, t)
       on conflict (rule_id, subject) do update set times = excluded.times`,
      [subject, [...changed.keys()], [...changed.values()].map((times) => `{${times.join(',')}}`)],
    );
  }

  private async campaignStep(
    event: IncomingEvent,
    deviceId: string | null,
    batch: EventBatch,
  ): Promise<void> {
    const campaignId = campaignIdOf(event);
    if (!campaignId) return;
    const cfg = this.config;
    // A failure with a retry scheduled is an attempt, not a failed device (the error rate counts devices).
    const retrying = typeof event.data['retryAt'] === 'string' && event.data['retryAt'] !== '';
    const failed = cfg.ALERTING_CAMPAIGN_FAILURE_TYPES.includes(event.eventType) && !retrying;
    const succeeded = cfg.ALERTING_CAMPAIGN_SUCCESS_TYPES.includes(event.eventType);
    const ended = cfg.ALERTING_CAMPAIGN_END_TYPES.includes(event.eventType);
    if (deviceId) {
      // A step of the device's update keeps it quiet; its outcome leaves a grace for the reboot.
      const until =
        event.occurredAt +
        (failed || succeeded ? cfg.ALERTING_CAMPAIGN_GRACE_MS : cfg.ALERTING_CAMPAIGN_SUPPRESSION_MS);
      await batch.tx.query(
        `insert into ${TABLES.devices} (device_id, facts, interval_s, campaign_id, campaign_until)
         values ($1, null, 300, $2, to_timestamp($3 / 1000.0))
         on conflict (device_id) do update set campaign_id = excluded.campaign_id, campaign_until = excluded.campaign_until`,
        [deviceId, campaignId, until],
      );
      batch.touchedDevices.add(deviceId);
    }
    if (ended) {
      await batch.tx.query(
        `update ${TABLES.devices} set campaign_until = least(campaign_until, to_timestamp($2 / 1000.0))
         where campaign_id = $1`,
        [campaignId, event.occurredAt + cfg.ALERTING_CAMPAIGN_GRACE_MS],
      );
    }
    if (!failed && !succeeded && !ended) return;
    const { rows } = await batch.tx.query<{ failed: number; succeeded: number; ended: boolean }>(
      `insert into ${TABLES.campaigns} as c (campaign_id, failed, succeeded, ended) values ($1, $2, $3, $4)
       on conflict (campaign_id) do update set failed = c.failed + excluded.failed,
         succeeded = c.succeeded + excluded.succeeded, ended = c.ended or excluded.ended, updated_at = now()
       returning failed, succeeded, ended`,
      [campaignId, failed && deviceId ? 1 : 0, succeeded && deviceId ? 1 : 0, ended],
    );
    const row = rows[0];
    if (!row || batch.rules.campaignErrorRate.length === 0) return;
    const progress: CampaignProgress = { campaignId, failed: row.failed, succeeded: row.succeeded };
    await batch.loadSlots(
      batch.rules.campaignErrorRate.map((r) => r.ruleId),
      `campaign:${campaignId}`,
    );
    batch.record(checkCampaign(progress, row.ended, event.occurredAt, batch.rules, batch.slots));
  }
}

/** `campaign-<id>` streams carry their campaign; other sources may name it in their data. */
function campaignIdOf(event: IncomingEvent): string | null {
  if (event.stream?.startsWith('campaign-')) return event.stream.slice('campaign-'.length);
  const id = event.data['campaignId'];
  return typeof id === 'string' && id !== '' ? id : null;
}
