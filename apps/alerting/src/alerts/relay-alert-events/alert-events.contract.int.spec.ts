import {
  AvroCodec,
  SchemaCatalogue,
  schemaNameForEvent,
  toEventRecord,
  Topics,
  TOPIC_CATALOGUE,
} from '@fleet/contracts';
import type { RecordedEvent } from '@fleet/event-store';
import { toMessage } from '@fleet/messaging';
import { ALERT_EVENT_TYPES, type AlertEvent } from '../alert';

// Every alert event, as the store holds it, goes to fleet.alert-events.v1 through the relay's own
// encoding and reads back unchanged with the published schemas (schemas/fleet.alert).
const catalogue = SchemaCatalogue.load();
const codec = new AvroCodec(catalogue);

const samples: AlertEvent[] = [
  {
    type: 'AlertRaised',
    data: {
      alertId: '8c1f5d0e-2b6a-8f41-9e3d-0a7b6c5d4e3f',
      ruleId: 'r-battery',
      ruleVersion: 2,
      ruleName: 'Battery low',
      ruleKind: 'threshold',
      severity: 'warning',
      deviceId: 'meter-17',
      subject: 'meter-17',
      episode: 3,
      observedAt: Date.UTC(2026, 10, 22, 9, 30),
      value: 12.5,
      bound: 20,
      message: 'battery (%) 12.5 is below 20',
    },
  },
  {
    type: 'AlertAcknowledged',
    data: {
      alertId: '8c1f5d0e-2b6a-8f41-9e3d-0a7b6c5d4e3f',
      deviceId: 'meter-17',
      acknowledgedBy: 'sam',
      note: 'on it',
    },
  },
  {
    type: 'AlertEscalated',
    data: {
      alertId: '8c1f5d0e-2b6a-8f41-9e3d-0a7b6c5d4e3f',
      deviceId: 'meter-17',
      previousSeverity: 'warning',
      severity: 'critical',
      unacknowledgedSeconds: 900,
    },
  },
  {
    type: 'AlertCleared',
    data: {
      alertId: '8c1f5d0e-2b6a-8f41-9e3d-0a7b6c5d4e3f',
      deviceId: null,
      automatic: true,
      clearedBy: 'alerting',
      observedAt: Date.UTC(2026, 10, 22, 10, 0),
      value: null,
      message: 'error rate back to 1 %',
    },
  },
];

const recorded = (event: AlertEvent, revision: number): RecordedEvent => ({
  id: `0b8f6c1e-7d2a-4e5b-8c9d-${String(revision).padStart(12, '0')}`,
  type: event.type,
  stream: 'alert-8c1f5d0e-2b6a-8f41-9e3d-0a7b6c5d4e3f',
  revision: BigInt(revision),
  position: { commit: 1n, prepare: BigInt(revision) },
  recordedAt: '2026-11-22T09:30:00.131Z',
  data: { ...event.data },
  metadata: {
    actor: { type: 'service', id: 'alerting' },
    reason: 'battery (%) 12.5 is below 20',
    occurredAt: '2026-11-22T09:30:00.125Z',
    correlationId: 'uplink-1',
    causationId: 'uplink-1',
    tenant: 'default',
  },
});

describe('alert events on fleet.alert-events.v1', () => {
  it('declares a schema for each alert event type in the topic catalogue', () => {
    expect(TOPIC_CATALOGUE.find((t) => t.name === Topics.alertEvents)?.schemas).toEqual(
      ALERT_EVENT_TYPES.map((type) => `fleet.alert.${type}`),
    );
  });

  it.each(samples.map((s, i) => [s.type, s, i] as const))(
    'round-trips %s as the relay publishes it',
    (_, event, i) => {
      const message = toMessage(recorded(event, i), codec);
      expect(message.headers?.['avro-schema']).toBe(schemaNameForEvent(recorded(event, i)));
      expect(message.key).toBe(event.data.deviceId ?? event.data.alertId);
      const decoded = codec.decode(message.value);
      expect(decoded.value).toEqual(toEventRecord(recorded(event, i)));
    },
  );
});
