import type { RecordedEvent } from '@fleet/event-store';
import type { DeviceProvisionedData } from '../device';

/** The twin read model of one device, as the API returns it. */
export interface DeviceTwin extends DeviceProvisionedData {
  readonly tenant: string;
  readonly status: string;
  readonly desired: Readonly<Record<string, unknown>>;
  readonly reported: Readonly<Record<string, unknown>>;
  /** Number of events applied; the ETag of the twin. */
  readonly version: number;
  readonly provisionedAt: string;
  readonly provisionedBy: string;
  readonly updatedAt: string;
}

export const TWIN_STORE = Symbol('TWIN_STORE');

/** Where the twin read model lives; disposable, rebuilt from the event store. */
export interface TwinStore {
  ensureSchema(): Promise<void>;
  /** Applies one event; a no-op when the twin already reflects that revision (redelivery). */
  apply(event: RecordedEvent): Promise<void>;
  find(deviceId: string): Promise<DeviceTwin | undefined>;
}
