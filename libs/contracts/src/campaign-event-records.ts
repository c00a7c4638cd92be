import { fromAvroTimestamp, toAvroTimestamp } from './command-event-records';

/**
 * How the campaign events' plain data (`apps/fuota-orchestrator/src/campaigns/campaign-events.ts`)
 * differs from `schemas/fleet.campaign/*`: ISO-8601 instants travel as timestamp-millis, and the
 * target selector (a union of three shapes in TypeScript) as one record whose `kind` says which of
 * its nullable fields apply. Fields that need no mapping pass through unchanged.
 */
type DataMapper = (data: Record<string, unknown>) => Record<string, unknown>;

const timestampOrNull = (iso: unknown): number | null =>
  iso === null || iso === undefined ? null : toAvroTimestamp(iso as string);

const isoOrNull = (millis: unknown): string | null =>
  millis === null || millis === undefined ? null : fromAvroTimestamp(millis as number);

/** Every field of every selector kind, null unless the selector has it. */
const NO_SELECTOR_FIELDS = {
  deviceIds: null,
  group: null,
  model: null,
  tags: null,
  region: null,
  firmwareVersion: null,
};

function toAvroSelector(selector: Record<string, unknown>): Record<string, unknown> {
  return { ...NO_SELECTOR_FIELDS, ...selector };
}

/** The selector back as its kind's shape; a kind this reader does not know keeps its non-null fields. */
function fromAvroSelector(selector: Record<string, unknown>): Record<string, unknown> {
  const { kind } = selector;
  switch (kind) {
    case 'devices':
      return { kind, deviceIds: selector['deviceIds'] ?? [] };
    case 'group':
      return { kind, group: selector['group'] };
    case 'query':
      return {
        kind,
        model: selector['model'] ?? null,
        tags: selector['tags'] ?? [],
        region: selector['region'] ?? null,
        firmwareVersion: selector['firmwareVersion'] ?? null,
      };
    default:
      return Object.fromEntries(Object.entries(selector).filter(([, value]) => value !== null));
  }
}

export const CAMPAIGN_AVRO_DATA: Readonly<Record<string, DataMapper>> = {
  'fleet.campaign.CampaignCreated': (data) => {
    const definition = data['definition'] as Record<string, unknown>;
    return {
      ...data,
      definition: {
        ...definition,
        targets: toAvroSelector(definition['targets'] as Record<string, unknown>),
        maintenanceWindow: definition['maintenanceWindow'] ?? null,
        startAt: timestampOrNull(definition['startAt']),
        endAt: timestampOrNull(definition['endAt']),
      },
    };
  },
  'fleet.campaign.DeviceUpdateFailed': (data) => ({ ...data, retryAt: timestampOrNull(data['retryAt']) }),
};

/** The inverse of {@link CAMPAIGN_AVRO_DATA}, for readers: instants as ISO-8601 UTC (`toISOString`). */
export const CAMPAIGN_PLAIN_DATA: Readonly<Record<string, DataMapper>> = {
  'fleet.campaign.CampaignCreated': (data) => {
    const definition = data['definition'] as Record<string, unknown>;
    return {
      ...data,
      definition: {
        ...definition,
        targets: fromAvroSelector(definition['targets'] as Record<string, unknown>),
        startAt: isoOrNull(definition['startAt']),
        endAt: isoOrNull(definition['endAt']),
      },
    };
  },
  'fleet.campaign.DeviceUpdateFailed': (data) => ({ ...data, retryAt: isoOrNull(data['retryAt']) }),
};
