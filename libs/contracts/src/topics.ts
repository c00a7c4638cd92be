/**
 * The topic catalogue: every Kafka topic the platform uses, declared once. The local set-up
 * (`npm run topics`) and the Kubernetes manifests are generated from it.
 */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** Retention in ms; -1 keeps records forever (domain events are the analytics feed). */
  readonly retentionMs: number;
  readonly compacted: boolean;
  /** Record key; every topic about devices is keyed by device id for per-device ordering. */
  readonly key: string;
  /** Avro schemas whose single-object encodings may appear as values. */
  readonly schemas: readonly string[];
  /** Name of its dead-letter topic, when consumers dead-letter what they cannot handle. */
  readonly deadLetter?: string;
  readonly description: string;
}

const DAY = 24 * 60 * 60 * 1000;
/** Dead letters keep their raw bytes long enough for an operator to inspect and replay them. */
const DEAD_LETTER_RETENTION = 14 * DAY;

export const Topics = {
  deviceEvents: 'fleet.device-events.v1',
  commandEvents: 'fleet.command-events.v1',
  campaignEvents: 'fleet.campaign-events.v1',
  alertEvents: 'fleet.alert-events.v1',
  telemetry: 'fleet.telemetry.v1',
  commandResponses: 'fleet.command-responses.v1',
  commandRequests: 'fleet.command-requests.v1',
  deviceAccess: 'fleet.device-access.v1',
} as const;

const eventTopic = (
  name: string,
  aggregate: string,
  schemas: string[],
  key = `${aggregate} id`,
): TopicSpec => ({
  name,
  partitions: 6,
  retentionMs: -1,
  compacted: false,
  key,
  schemas,
  deadLetter: `${name}.dlt`,
  description: `Domain events of the ${aggregate} aggregate, relayed from the event store in commit order per stream.`,
});

export const TOPIC_CATALOGUE: readonly TopicSpec[] = [
  eventTopic(Topics.deviceEvents, 'device', [
    'fleet.device.DeviceProvisioned',
    'fleet.device.DeviceActivated',
    'fleet.device.DeviceSuspended',
    'fleet.device.DeviceResumed',
    'fleet.device.DeviceQuarantined',
    'fleet.device.DeviceCredentialsRotated',
    'fleet.device.DeviceDecommissioned',
    'fleet.device.DeviceReEnrolled',
    'fleet.device.DeviceLabelsChanged',
    'fleet.device.DesiredConfigurationChanged',
    'fleet.device.ConfigurationApplied',
    'fleet.device.FirmwareVersionChanged',
  ]),
  eventTopic(
    Topics.commandEvents,
    'command',
    [
      'fleet.command.CommandRequested',
      'fleet.command.CommandQueued',
      'fleet.command.CommandSent',
      'fleet.command.CommandDelivered',
      'fleet.command.CommandSucceeded',
      'fleet.command.CommandFailed',
      'fleet.command.CommandRetryScheduled',
      'fleet.command.CommandExpired',
      'fleet.command.CommandCancelled',
      'fleet.command.CommandRefused',
    ],
    // A command is about one device: keyed like the device's other topics, for per-device order.
    'device id',
  ),
  eventTopic(Topics.campaignEvents, 'campaign', [
    'fleet.campaign.CampaignCreated',
    'fleet.campaign.CampaignTargetsAdded',
    'fleet.campaign.CampaignApproved',
    'fleet.campaign.CampaignStarted',
    'fleet.campaign.WaveStarted',
    'fleet.campaign.WaveCompleted',
    'fleet.campaign.CampaignPaused',
    'fleet.campaign.CampaignResumed',
    'fleet.campaign.CampaignCancelled',
    'fleet.campaign.CampaignAborted',
    'fleet.campaign.CampaignCompleted',
    'fleet.campaign.DeviceUpdateGated',
    'fleet.campaign.DeviceUpdateStarted',
    'fleet.campaign.DeviceUpdateProgressed',
    'fleet.campaign.DeviceInstallRequested',
    'fleet.campaign.DeviceUpdateSucceeded',
    'fleet.campaign.DeviceUpdateFailed',
  ]),
  eventTopic(Topics.alertEvents, 'alert', [
    'fleet.alert.AlertRaised',
    'fleet.alert.AlertAcknowledged',
    'fleet.alert.AlertCleared',
    'fleet.alert.AlertEscalated',
  ]),
  {
    name: Topics.telemetry,
    partitions: 6,
    retentionMs: 7 * DAY,
    compacted: false,
    key: 'device id',
    schemas: ['fleet.telemetry.DeviceTelemetry'],
    deadLetter: `${Topics.telemetry}.dlt`,
    description: 'Decoded device readings from ingestion; high volume, not part of any aggregate stream.',
  },
  {
    name: Topics.commandResponses,
    partitions: 6,
    retentionMs: 7 * DAY,
    compacted: false,
    key: 'device id',
    schemas: ['fleet.telemetry.CommandResponse'],
    deadLetter: `${Topics.commandResponses}.dlt`,
    description: "Devices' answers to commands (MQTT up/ack) from ingestion, for command-dispatcher.",
  },
  {
    name: Topics.commandRequests,
    partitions: 6,
    retentionMs: 7 * DAY,
    compacted: false,
    key: 'device id',
    schemas: ['fleet.dispatch.CommandRequest'],
    deadLetter: `${Topics.commandRequests}.dlt`,
    description:
      'Commands other services (fuota-orchestrator) ask command-dispatcher to run; idempotent by command id.',
  },
  {
    name: Topics.deviceAccess,
    partitions: 3,
    // Kept like an access log: long enough to investigate a credential-stuffing episode afterwards.
    retentionMs: 90 * DAY,
    compacted: false,
    key: 'device id (empty when the refusal names no known device)',
    schemas: ['fleet.access.DeviceAuthenticationRefused'],
    deadLetter: `${Topics.deviceAccess}.dlt`,
    description:
      'Failed authentications as a device (broker logins, LoRaWAN frames and joins) from ingestion, for alerting.',
  },
];

/** Every topic including dead-letter topics, as they must exist on the broker. */
export function allTopics(catalogue: readonly TopicSpec[] = TOPIC_CATALOGUE): TopicSpec[] {
  return catalogue.flatMap((topic) =>
    topic.deadLetter
      ? [
          topic,
          {
            name: topic.deadLetter,
            partitions: 1,
            retentionMs: DEAD_LETTER_RETENTION,
            compacted: false,
            key: 'the original key',
            schemas: [],
            description: `Messages from ${topic.name} that a consumer could not decode or validate, with the reason in headers.`,
          },
        ]
      : [topic],
  );
}

/** Topic of the domain events of a stream, by the stream's category (`device-…` → device events). */
export function topicForStream(stream: string): string | undefined {
  const category = stream.slice(0, stream.indexOf('-'));
  return (
    {
      device: Topics.deviceEvents,
      command: Topics.commandEvents,
      campaign: Topics.campaignEvents,
      alert: Topics.alertEvents,
    } as Record<string, string>
  )[category];
}
