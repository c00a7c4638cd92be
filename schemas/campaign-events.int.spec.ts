import {
  AvroCodec,
  fromCampaignEventRecord,
  SchemaCatalogue,
  toEventRecord,
  TOPIC_CATALOGUE,
  Topics,
  UndecodableMessageError,
  type EventRecord,
} from '@fleet/contracts';
import type { RecordedEvent } from '@fleet/event-store';
import { toMessage } from '@fleet/messaging';
// The producer's own types: a sample that no longer fits them fails the type check.
import type {
  CampaignDefinition,
  CampaignEvent,
} from '../apps/fuota-orchestrator/src/campaigns/campaign-events';

// Every campaign event type goes through exactly what the relay does (toEventRecord, the codec) and
// comes back, through fromCampaignEventRecord, as the plain event fuota-orchestrator appended.
const catalogue = SchemaCatalogue.load();
const codec = new AvroCodec(catalogue);

const campaignId = '5c1d7e2a-9b34-4f60-8a1e-6d2b0c9f3e71';
const deviceId = '3f2a9c4e-5b1d-4c8e-9f7a-2d6b8e0c1a34';
const ofDevice = { campaignId, deviceId, attempt: 2 };

const definition: CampaignDefinition = {
  campaignId,
  name: 'water meters EU-West to 2.5.0',
  artifact: {
    artifactId: 'wm-fw-2.5.0',
    version: '2.5.0',
    models: ['wm-200', 'wm-210'],
    hardwareRevisions: ['B', 'C'],
    sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    size: 187_392,
  },
  targets: { kind: 'query', model: 'wm-200', tags: ['pilot'], region: 'eu-west', firmwareVersion: null },
  mode: 'continuous',
  rollout: { canaryCount: null, canaryPercent: 2.5, waveCount: null, baseWaveSize: 50, growthFactor: 1.5 },
  successThresholdPercent: 97.5,
  errorThreshold: { percent: 5, minimumFinished: 20, action: 'pause' },
  maxConcurrency: 200,
  stageTimeoutSeconds: { download: 86_400, install: 600, verify: 1_800 },
  retry: { maxAttempts: 3, baseDelaySeconds: 300 },
  batteryThresholdPercent: 30,
  maintenanceWindow: { cron: '0 2 * * *', durationMinutes: 180, timeZone: 'Europe/Paris' },
  startAt: '2026-12-01T01:00:00.000Z',
  endAt: '2026-12-15T01:00:00.000Z',
  allowDowngrade: false,
  downgradeReason: null,
  requireApproval: true,
  createdBy: 'alice@acme-water.example',
};

/** One realistic event per type, in the orchestrator's plain shape. */
const samples: readonly CampaignEvent[] = [
  { type: 'CampaignCreated', data: { campaignId, definition } },
  {
    type: 'CampaignTargetsAdded',
    data: {
      campaignId,
      devices: [
        { deviceId, wave: 0, fromVersion: '2.4.1' },
        { deviceId: '8d0e4b7a-1c2f-4a3b-9e5d-6f7a8b9c0d1e', wave: 1, fromVersion: null },
      ],
    },
  },
  { type: 'CampaignApproved', data: { campaignId, approvedBy: 'bob@acme-water.example' } },
  { type: 'CampaignStarted', data: { campaignId, waves: 4, devices: 1_240 } },
  { type: 'WaveStarted', data: { campaignId, wave: 1, devices: 75 } },
  { type: 'WaveCompleted', data: { campaignId, wave: 0, succeeded: 30, failed: 1 } },
  {
    type: 'CampaignPaused',
    data: {
      campaignId,
      reason: 'error threshold reached in wave 2: 4 of 40 finished devices failed (10 % ≥ 5 %)',
      wave: 1,
      byOperator: false,
    },
  },
  { type: 'CampaignResumed', data: { campaignId, retryFailed: true, retried: 4 } },
  { type: 'CampaignCancelled', data: { campaignId } },
  {
    type: 'CampaignAborted',
    data: {
      campaignId,
      reason: 'error threshold reached in wave 1: 3 of 20 finished devices failed (15 % ≥ 10 %)',
    },
  },
  {
    type: 'CampaignCompleted',
    data: { campaignId, succeeded: 1_201, failed: 12, notUpdated: 27, reason: 'every device finished' },
  },
  {
    type: 'DeviceUpdateGated',
    data: {
      ...ofDevice,
      gate: 'battery',
      reason: "battery 12 % is below the campaign's threshold of 30 %",
    },
  },
  {
    type: 'DeviceUpdateStarted',
    data: {
      ...ofDevice,
      observeCommandId: '0c4f1a9e-2b3d-5e6f-8a7b-9c0d1e2f3a4b',
      writeCommandId: '1d5a2b8f-3c4e-5f60-9b8c-0d1e2f3a4b5c',
    },
  },
  { type: 'DeviceUpdateProgressed', data: { ...ofDevice, stage: 'downloaded' } },
  {
    type: 'DeviceInstallRequested',
    data: { ...ofDevice, commandId: '2e6b3c9a-4d5f-5071-8c9d-1e2f3a4b5c6d' },
  },
  { type: 'DeviceUpdateSucceeded', data: { ...ofDevice, firmwareVersion: '2.5.0' } },
  {
    type: 'DeviceUpdateFailed',
    data: {
      ...ofDevice,
      stage: 'downloading',
      resultCode: null,
      reason: 'no download within 86400 s',
      retriable: true,
      retryAt: '2026-12-02T02:10:00.000Z',
    },
  },
];

const created = (overrides: Partial<CampaignDefinition>): CampaignEvent => ({
  type: 'CampaignCreated',
  data: { campaignId, definition: { ...definition, ...overrides } },
});

/** More shapes of the events whose data needs mapping. */
const variants: readonly [string, CampaignEvent][] = [
  [
    'named devices, right away, at any time, a downgrade',
    created({
      targets: { kind: 'devices', deviceIds: [deviceId, '8d0e4b7a-1c2f-4a3b-9e5d-6f7a8b9c0d1e'] },
      mode: 'snapshot',
      rollout: { canaryCount: 5, canaryPercent: null, waveCount: 3, baseWaveSize: null, growthFactor: null },
      maintenanceWindow: null,
      startAt: null,
      endAt: null,
      allowDowngrade: true,
      downgradeReason: 'roll back 2.5.0: radio regression on wm-210',
      requireApproval: false,
    }),
  ],
  ['a group', created({ targets: { kind: 'group', group: 'paris-north-pilot' } })],
  [
    'a query for any model, region and version',
    created({ targets: { kind: 'query', model: null, tags: [], region: null, firmwareVersion: null } }),
  ],
  [
    'a final failure the device reported',
    {
      type: 'DeviceUpdateFailed',
      data: {
        ...ofDevice,
        stage: 'updating',
        resultCode: 5,
        reason: 'the device reported update result 5 (integrity check failure)',
        retriable: false,
        retryAt: null,
      },
    },
  ],
];

function recorded(event: CampaignEvent, revision = 4): RecordedEvent {
  return {
    id: `6a7b8c9d-0e1f-4a2b-8c3d-${String(revision).padStart(12, '0')}`,
    type: event.type,
    stream: `campaign-${campaignId}`,
    revision: BigInt(revision),
    position: { commit: 9n, prepare: 9n },
    recordedAt: '2026-12-01T01:00:00.131Z',
    data: event.data,
    metadata: {
      actor: { type: 'service', id: 'fuota-orchestrator' },
      reason: null,
      occurredAt: '2026-12-01T01:00:00.125Z',
      correlationId: 'c0ffee00-1111-4222-8333-444455556666',
      causationId: null,
      tenant: 'acme-water',
    },
  };
}

/** What a consumer of the topic gets: the relay's message, decoded. */
function relayAndDecode(event: CampaignEvent) {
  const message = toMessage(recorded(event), codec);
  const decoded = codec.decode<EventRecord>(message.value);
  return { message, decoded };
}

describe('campaign events on fleet.campaign-events.v1', () => {
  const campaignSchemas = catalogue.names().filter((name) => name.startsWith('fleet.campaign.'));

  it('has a schema for every campaign event type, each declared on the topic, and a sample of each', () => {
    const types = samples.map((s) => `fleet.campaign.${s.type}`);
    expect(campaignSchemas).toEqual([...types].sort());
    expect(TOPIC_CATALOGUE.find((t) => t.name === Topics.campaignEvents)).toMatchObject({
      schemas: types,
      key: 'campaign id',
    });
  });

  it.each(samples.map((s) => [s.type, s] as const))(
    'round-trips %s as the relay publishes it',
    (type, event) => {
      const { message, decoded } = relayAndDecode(event);
      expect(message.headers).toMatchObject({
        'event-type': type,
        'avro-schema': `fleet.campaign.${type}`,
      });
      expect(decoded.schema).toBe(`fleet.campaign.${type}`);
      expect(decoded.value.envelope).toEqual(toEventRecord(recorded(event)).envelope);
      expect(fromCampaignEventRecord<CampaignEvent>(decoded.value)).toEqual(event);
    },
  );

  it.each(samples.map((s) => [s.type, s] as const))(
    'keys %s by its campaign id, so that a campaign is read in order',
    (_, event) => {
      expect(relayAndDecode(event).message.key).toBe(campaignId);
    },
  );

  it.each(variants)('round-trips %s', (_, event) => {
    expect(fromCampaignEventRecord<CampaignEvent>(relayAndDecode(event).decoded.value)).toEqual(event);
  });

  it('carries instants as timestamp-millis and the target selector as one record', () => {
    const data = relayAndDecode(samples[0]!).decoded.value.data as { definition: Record<string, unknown> };
    expect(data.definition).toMatchObject({
      startAt: Date.UTC(2026, 11, 1, 1),
      endAt: Date.UTC(2026, 11, 15, 1),
      targets: {
        kind: 'query',
        deviceIds: null,
        group: null,
        model: 'wm-200',
        tags: ['pilot'],
        region: 'eu-west',
        firmwareVersion: null,
      },
    });
    expect(relayAndDecode(samples[16]!).decoded.value.data).toMatchObject({
      retryAt: Date.UTC(2026, 11, 2, 2, 10),
    });
  });

  it('reads instants written with an offset back in UTC', () => {
    const event = created({ startAt: '2026-12-01T02:00:00+01:00', endAt: null });
    expect(fromCampaignEventRecord(relayAndDecode(event).decoded.value).data).toMatchObject({
      definition: { startAt: '2026-12-01T01:00:00.000Z', endAt: null },
    });
  });

  it('refuses to encode an instant that is not one, rather than publishing a wrong time', () => {
    const failed = samples[16]!;
    const event = { ...failed, data: { ...failed.data, retryAt: 'in ten minutes' } } as CampaignEvent;
    expect(() => toEventRecord(recorded(event))).toThrow(/not an ISO-8601 instant: in ten minutes/);
  });

  it('reads a selector kind added later with the fields it has, not as one of the known kinds', () => {
    const record = relayAndDecode(samples[0]!).decoded.value;
    const data = record.data as { definition: { targets: Record<string, unknown> } };
    data.definition.targets = {
      ...data.definition.targets,
      kind: 'site',
      model: null,
      tags: null,
      region: 'paris',
    };
    const { data: plain } =
      fromCampaignEventRecord<Extract<CampaignEvent, { type: 'CampaignCreated' }>>(record);
    expect(plain.definition.targets).toEqual({ kind: 'site', region: 'paris' });
  });

  it('refuses a record that is not a campaign event as undecodable (dead-letter it)', () => {
    const record = relayAndDecode(samples[8]!).decoded.value;
    record.envelope.stream = `command-${campaignId}`;
    expect(() => fromCampaignEventRecord(record)).toThrow(UndecodableMessageError);
  });
});
