import type { RecordedEvent } from '@fleet/event-store';
import type { Configuration } from '../configuration';
import type { TwinView } from './twin-view';

/** What telemetry tells about a device's link, kept beside the event-sourced twin. */
export interface Connectivity {
  readonly lastSeenAt: string;
  readonly online: boolean;
  readonly batteryPercent: number | null;
  readonly rssi: number | null;
  readonly snr: number | null;
  readonly uplinkCount: number;
  readonly downlinkCount: number;
  readonly airtime: {
    /** Start of the current one-hour duty-cycle window. */
    readonly windowStart: string | null;
    readonly usedMs: number;
    /** Air time allowed per window by the band plan's duty cycle; null when it has none. */
    readonly budgetMs: number | null;
  };
}

/** The twin as the API returns it. */
export interface DeviceTwin extends TwinView {
  readonly delta: Configuration;
  readonly connectivity: Connectivity | null;
}

export const TWIN_STORE = Symbol('TWIN_STORE');

/** Where the twin read model lives; disposable, rebuilt from the event store. */
export interface TwinStore {
  ensureSchema(): Promise<void>;
  /** Applies a run of device events in one transaction; events already reflected are skipped. */
  applyBatch(events: readonly RecordedEvent[]): Promise<void>;
  find(deviceId: string): Promise<DeviceTwin | undefined>;
  /** Number of events the stored twin reflects; undefined when there is none. */
  version(deviceId: string): Promise<number | undefined>;
  /**
   * The latest snapshot at or below a version and/or at or before a time, to fold the rest from.
   * Snapshots are derived by the same fold, so continuing from one gives the same twin.
   */
  snapshotBefore(deviceId: string, until: { version?: number; at?: Date }): Promise<TwinView | undefined>;
}
