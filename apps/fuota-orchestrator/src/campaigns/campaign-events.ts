/**
 * Facts about a firmware campaign (stream `campaign-<id>`), relayed to `fleet.campaign-events.v1`
 * keyed by campaign id (Avro: `schemas/fleet.campaign/`). Each device's steps are events of the
 * campaign's stream too, so one stream tells the whole story of a rollout, in order.
 */

/** Which devices a campaign is for: named devices, a group, or a query over what the fleet knows. */
export type TargetSelector =
  | { readonly kind: 'devices'; readonly deviceIds: readonly string[] }
  | { readonly kind: 'group'; readonly group: string }
  | {
      readonly kind: 'query';
      readonly model: string | null;
      readonly tags: readonly string[];
      readonly region: string | null;
      readonly firmwareVersion: string | null;
    };

export interface Rollout {
  /** The first wave: a count, or a percentage of the targets (at least one device). */
  readonly canaryCount: number | null;
  readonly canaryPercent: number | null;
  /** Then either this many equal waves for the rest... */
  readonly waveCount: number | null;
  /** ...or an exponential ramp: base wave size, each next wave `growthFactor` times the previous. */
  readonly baseWaveSize: number | null;
  readonly growthFactor: number | null;
}

export interface MaintenanceWindow {
  /** Five-field cron of when the window opens, e.g. `0 2 * * *`. */
  readonly cron: string;
  readonly durationMinutes: number;
  /** IANA time zone the cron is read in, e.g. `Europe/Paris`. */
  readonly timeZone: string;
}

export interface ArtifactRef {
  readonly artifactId: string;
  readonly version: string;
  readonly models: readonly string[];
  readonly hardwareRevisions: readonly string[];
  readonly sha256: string;
  readonly size: number;
}

export interface CampaignDefinition {
  readonly campaignId: string;
  readonly name: string;
  readonly artifact: ArtifactRef;
  readonly targets: TargetSelector;
  /** `continuous` campaigns pick up devices that match later; `snapshot` ones keep their first list. */
  readonly mode: 'snapshot' | 'continuous';
  readonly rollout: Rollout;
  /** A wave whose finished devices succeeded at least this much lets the next wave start. */
  readonly successThresholdPercent: number;
  /** Failed ÷ finished devices of the current wave at which the campaign pauses or aborts. */
  readonly errorThreshold: {
    readonly percent: number;
    readonly minimumFinished: number;
    readonly action: 'pause' | 'abort';
  };
  /** Devices updating at the same time. */
  readonly maxConcurrency: number;
  /** How long a device may stay in each stage before the attempt fails (retriable). */
  readonly stageTimeoutSeconds: {
    readonly download: number;
    readonly install: number;
    readonly verify: number;
  };
  readonly retry: { readonly maxAttempts: number; readonly baseDelaySeconds: number };
  /** A device starts only with its battery at or above this (percent). */
  readonly batteryThresholdPercent: number;
  readonly maintenanceWindow: MaintenanceWindow | null;
  /** ISO-8601; null: as soon as approved. */
  readonly startAt: string | null;
  /** ISO-8601; devices not started by then are left alone and the campaign completes. */
  readonly endAt: string | null;
  readonly allowDowngrade: boolean;
  readonly downgradeReason: string | null;
  readonly requireApproval: boolean;
  /** Who created it: the approver must be someone else. */
  readonly createdBy: string;
}

export interface TargetDevice {
  readonly deviceId: string;
  /** 0-based wave. */
  readonly wave: number;
  /** Firmware the device ran when it was targeted. */
  readonly fromVersion: string | null;
}

/** What keeps a device from starting now; it waits and says why. */
export type Gate =
  'battery' | 'already-updating' | 'maintenance-window' | 'device-status' | 'airtime' | 'dispatcher';

/** The steps of a device's update, LwM2M object 5 states as the orchestrator sees them. */
export type UpdateStage = 'downloading' | 'downloaded' | 'updating';

type Event<TType extends string, TData> = { readonly type: TType; readonly data: TData };
type OfCampaign<T = object> = { readonly campaignId: string } & T;
type OfDevice<T = object> = OfCampaign<{ readonly deviceId: string; readonly attempt: number } & T>;

export type CampaignEvent =
  | Event<'CampaignCreated', OfCampaign<{ readonly definition: CampaignDefinition }>>
  | Event<'CampaignTargetsAdded', OfCampaign<{ readonly devices: readonly TargetDevice[] }>>
  | Event<'CampaignApproved', OfCampaign<{ readonly approvedBy: string }>>
  | Event<'CampaignStarted', OfCampaign<{ readonly waves: number; readonly devices: number }>>
  | Event<'WaveStarted', OfCampaign<{ readonly wave: number; readonly devices: number }>>
  | Event<
      'WaveCompleted',
      OfCampaign<{ readonly wave: number; readonly succeeded: number; readonly failed: number }>
    >
  | Event<
      'CampaignPaused',
      OfCampaign<{ readonly reason: string; readonly wave: number; readonly byOperator: boolean }>
    >
  | Event<'CampaignResumed', OfCampaign<{ readonly retryFailed: boolean; readonly retried: number }>>
  | Event<'CampaignCancelled', OfCampaign>
  | Event<'CampaignAborted', OfCampaign<{ readonly reason: string }>>
  | Event<
      'CampaignCompleted',
      OfCampaign<{
        readonly succeeded: number;
        readonly failed: number;
        readonly notUpdated: number;
        readonly reason: string;
      }>
    >
  | Event<'DeviceUpdateGated', OfDevice<{ readonly gate: Gate; readonly reason: string }>>
  | Event<
      'DeviceUpdateStarted',
      OfDevice<{ readonly observeCommandId: string; readonly writeCommandId: string }>
    >
  | Event<'DeviceUpdateProgressed', OfDevice<{ readonly stage: UpdateStage }>>
  | Event<'DeviceInstallRequested', OfDevice<{ readonly commandId: string }>>
  | Event<'DeviceUpdateSucceeded', OfDevice<{ readonly firmwareVersion: string }>>
  | Event<
      'DeviceUpdateFailed',
      OfDevice<{
        readonly stage: UpdateStage;
        /** LwM2M /5/0/5 Update Result the device reported, if it did. */
        readonly resultCode: number | null;
        readonly reason: string;
        readonly retriable: boolean;
        /** ISO-8601 when the next attempt may start; null when this failure is final. */
        readonly retryAt: string | null;
      }>
    >;

export type CampaignEventType = CampaignEvent['type'];
