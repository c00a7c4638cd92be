import { Injectable } from '@nestjs/common';
import {
  DEVICE_FACT_EVENT_TYPES,
  evolveFacts,
  expectedIntervalSeconds,
  type DeviceFactEvent,
  type DeviceFacts,
} from '../../devices/device-facts';
import { TABLES } from '../../storage/postgres/tables';
import type { AlertDecision } from '../alert-slots';
import { checkDrift } from '../drift';
import { ActivityIndex } from '../tracking/activity-index';
import type { EventBatch } from './event-batch';
import type { IncomingEvent } from './event-decoding';

interface DeviceRow {
  facts: Omit<DeviceFacts, 'campaign'> | null;
  revision: string;
  interval_s: number;
  campaign_id: string | null;
  campaign_until: Date | null;
}

/**
 * Keeps the device directory from device events (each applied once, in stream order, by
 * revision), re-times the device's silence deadline when its expected interval changes, decides
 * drift as configuration changes, and ends the alerts of a decommissioned device.
 */
@Injectable()
export class DeviceEventsHandler {
  private readonly index = new ActivityIndex();

  async handle(event: IncomingEvent, batch: EventBatch): Promise<void> {
    if (!DEVICE_FACT_EVENT_TYPES.has(event.eventType) || !event.deviceId || event.revision === null) return;
    const deviceId = event.deviceId;
    const { rows } = await batch.tx.query<DeviceRow>(
      `select facts, revision, interval_s, campaign_id, campaign_until from ${TABLES.devices} where device_id = $1 for update`,
      [deviceId],
    );
    const row = rows[0];
    if (row && event.revision <= Number(row.revision)) return;
    const stored: DeviceFacts | null = row?.facts
      ? {
          ...row.facts,
          campaign:
            row.campaign_id && row.campaign_until
              ? { campaignId: row.campaign_id, until: row.campaign_until.getTime() }
              : null,
        }
      : null;
    const facts = evolveFacts(
      stored,
      { type: event.eventType, data: event.data } as DeviceFactEvent,
      event.revision,
      event.occurredAt,
    );
    if (!facts) return;
    const interval = expectedIntervalSeconds(facts);
    const { rules } = batch;
    await batch.loadSlots(
      rules.drift.map((r) => r.ruleId),
      deviceId,
    );
    const drift = checkDrift(facts, batch.now, rules, batch.slots, batch.suppressedUntil);
    batch.record(drift.decisions);
    const { campaign: _campaign, ...persisted } = facts;
    await batch.tx.query(
      `insert into ${TABLES.devices} (device_id, facts, interval_s, revision, drift_check_at, updated_at)
       values ($1, $2::jsonb, $3, $4, $5, now())
       on conflict (device_id) do update set facts = excluded.facts, interval_s = excluded.interval_s,
         revision = excluded.revision, drift_check_at = excluded.drift_check_at, updated_at = now()`,
      [
        deviceId,
        JSON.stringify(persisted),
        interval,
        event.revision,
        drift.nextCheckAt === null ? null : new Date(drift.nextCheckAt),
      ],
    );
    if (!row || row.interval_s !== interval) {
      await this.index.rescheduleDevice(batch.tx, deviceId, interval, rules.smallestSilenceMultiplier);
    }
    if (event.eventType === 'DeviceDecommissioned') await this.endAlertsOf(deviceId, batch);
    batch.touchedDevices.add(deviceId);
  }

  /** A retired device has nothing left to alert about. */
  private async endAlertsOf(deviceId: string, batch: EventBatch): Promise<void> {
    await batch.loadActive(deviceId);
    const decisions: AlertDecision[] = [];
    for (const rule of batch.rules.rules) {
      const slot = batch.slots.get(rule.ruleId, deviceId);
      if (slot.status === 'open' && slot.alertId) {
        decisions.push({
          action: 'clear',
          ruleId: rule.ruleId,
          subject: deviceId,
          deviceId,
          alertId: slot.alertId,
          observedAt: batch.now,
          value: null,
          message: 'the device was decommissioned',
          correlationId: null,
        });
      } else if (slot.status === 'latched') {
        decisions.push({ action: 'release', ruleId: rule.ruleId, subject: deviceId });
      }
    }
    decisions.forEach((d) => batch.slots.apply(d));
    batch.record(decisions);
  }
}
