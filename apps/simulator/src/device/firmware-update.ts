import { FirmwareUpdateState } from '@fleet/firmware';

/**
 * LwM2M object 5 (Firmware Update) of a simulated device, pull delivery over HTTP(S), as the state
 * machine of LwM2M 1.1 Appendix E.6: Idle → (Package URI written) Downloading → (package verified)
 * Downloaded → (Update executed) Updating → restarted on the new firmware, Idle with result 1.
 * A failed download returns to Idle; a failed installation returns to Downloaded ("If the Update
 * Resource failed, the state returns at Downloaded"), so the package can be installed again.
 */
export interface FirmwareUpdate {
  readonly state: FirmwareUpdateState;
  /** /5/0/5 Update Result. */
  readonly result: UpdateResult;
  /** /5/0/1, as last written ('' when none). */
  readonly packageUri: string;
  /** /5/0/7: the last segment of the URI's path, once a download started. */
  readonly packageName: string | null;
  /** /5/0/8: the version the package's signed header claims, once downloaded. */
  readonly packageVersion: string | null;
  /** Why the last attempt failed: not an LwM2M resource, but what a command answer and a log say. */
  readonly reason: string | null;
}

/** /5/0/5 values this device sets (LwM2M 1.1 E.6; 2 and 9 only through download failures). */
export const UpdateResult = {
  Initial: 0,
  Updated: 1,
  NotEnoughFlash: 2,
  OutOfRam: 3,
  ConnectionLost: 4,
  IntegrityFailure: 5,
  UnsupportedPackage: 6,
  InvalidUri: 7,
  UpdateFailed: 8,
  UnsupportedProtocol: 9,
} as const;
export type UpdateResult = (typeof UpdateResult)[keyof typeof UpdateResult];
/** The results a download (or the verification that ends it) can fail with. */
export type DownloadFailure = Exclude<UpdateResult, 0 | 1 | 8>;

export const initialFirmwareUpdate: FirmwareUpdate = {
  state: FirmwareUpdateState.Idle,
  result: UpdateResult.Initial,
  packageUri: '',
  packageName: null,
  packageVersion: null,
  reason: null,
};

export type FirmwareUpdateCommand =
  /** Write /5/0/1: a URI starts a download, '' resets the state machine. */
  | { readonly kind: 'WritePackageUri'; readonly uri: string }
  /** The download of `uri` ended with a package whose hash and signature verify. */
  | { readonly kind: 'CompleteDownload'; readonly uri: string; readonly packageVersion: string }
  | {
      readonly kind: 'FailDownload';
      readonly uri: string;
      readonly result: DownloadFailure;
      readonly reason: string;
    }
  /** Execute /5/0/2, with the battery as the device measures it now. */
  | {
      readonly kind: 'ExecuteUpdate';
      readonly batteryPercent: number;
      readonly minBatteryPercent: number;
    }
  /** The installation ended: the device restarted on the new firmware. */
  | { readonly kind: 'CompleteUpdate' }
  /** The installation failed (the device crashed and restarted on its old firmware). */
  | { readonly kind: 'FailUpdate'; readonly reason: string }
  /** The device restarted for another reason (a Reboot, a power cut). */
  | { readonly kind: 'Restart' };

export type FirmwareUpdateEvent =
  | { readonly type: 'DownloadStarted'; readonly uri: string; readonly packageName: string }
  | {
      readonly type: 'PackageUriRefused';
      readonly uri: string;
      readonly result: 7 | 9;
      readonly reason: string;
    }
  | { readonly type: 'FirmwareUpdateReset' }
  | { readonly type: 'PackageDownloaded'; readonly packageVersion: string }
  | { readonly type: 'DownloadFailed'; readonly result: DownloadFailure; readonly reason: string }
  | { readonly type: 'UpdateStarted'; readonly packageVersion: string }
  | { readonly type: 'UpdateRefused'; readonly reason: string }
  | { readonly type: 'FirmwareUpdated'; readonly firmwareVersion: string }
  | { readonly type: 'UpdateFailed'; readonly reason: string };

/**
 * What a command does: events to apply, and for a Write or Execute the device must refuse, the
 * CoAP code and reason of its answer (a refused Execute may still change the Update Result).
 */
export interface FirmwareUpdateDecision {
  readonly events: readonly FirmwareUpdateEvent[];
  readonly refusal?: { readonly code: '4.05' | '5.00'; readonly reason: string };
}

const STATE_NAMES = ['idle', 'downloading', 'downloaded', 'updating'] as const;
const stateName = (state: FirmwareUpdateState) => `state ${state}, ${STATE_NAMES[state]}`;
const accept = (...events: FirmwareUpdateEvent[]): FirmwareUpdateDecision => ({ events });
const refuse = (code: '4.05' | '5.00', reason: string, ...events: FirmwareUpdateEvent[]) => ({
  events,
  refusal: { code, reason },
});

export function decideFirmwareUpdate(
  current: FirmwareUpdate,
  command: FirmwareUpdateCommand,
): FirmwareUpdateDecision {
  const { state } = current;
  switch (command.kind) {
    case 'WritePackageUri':
      if (state === FirmwareUpdateState.Updating) {
        return refuse(
          '4.05',
          `an update is being installed (${stateName(state)}): the Package URI cannot change`,
        );
      }
      if (command.uri === '') return accept({ type: 'FirmwareUpdateReset' });
      if (state === FirmwareUpdateState.Downloading) {
        return refuse('4.05', 'a download is in progress: write an empty Package URI to cancel it first');
      }
      return accept(startDownload(command.uri));
    case 'CompleteDownload':
      // A download that was cancelled or replaced meanwhile finishes unheard.
      if (state !== FirmwareUpdateState.Downloading || command.uri !== current.packageUri) return accept();
      return accept({ type: 'PackageDownloaded', packageVersion: command.packageVersion });
    case 'FailDownload':
      if (state !== FirmwareUpdateState.Downloading || command.uri !== current.packageUri) return accept();
      return accept({ type: 'DownloadFailed', result: command.result, reason: command.reason });
    case 'ExecuteUpdate': {
      if (state !== FirmwareUpdateState.Downloaded) {
        return refuse('4.05', `the firmware package is not downloaded (${stateName(state)})`);
      }
      const { batteryPercent, minBatteryPercent } = command;
      if (batteryPercent < minBatteryPercent) {
        const reason = `battery at ${Math.round(batteryPercent)} % is below the ${minBatteryPercent} % needed to install firmware`;
        return refuse('5.00', reason, { type: 'UpdateRefused', reason });
      }
      return accept({ type: 'UpdateStarted', packageVersion: current.packageVersion ?? '' });
    }
    case 'CompleteUpdate':
      if (state !== FirmwareUpdateState.Updating) return accept();
      return accept({ type: 'FirmwareUpdated', firmwareVersion: current.packageVersion ?? '' });
    case 'FailUpdate':
      if (state !== FirmwareUpdateState.Updating) return accept();
      return accept({ type: 'UpdateFailed', reason: command.reason });
    case 'Restart':
      // A downloaded package is kept in flash; a download or an installation does not survive.
      if (state === FirmwareUpdateState.Downloading) {
        return accept({
          type: 'DownloadFailed',
          result: UpdateResult.ConnectionLost,
          reason: 'the device restarted during the download',
        });
      }
      if (state === FirmwareUpdateState.Updating) {
        return accept({ type: 'UpdateFailed', reason: 'the device restarted during the installation' });
      }
      return accept();
    default: {
      const unknown: never = command;
      throw new Error(`unknown firmware update command ${JSON.stringify(unknown)}`);
    }
  }
}

/** This device downloads over HTTP(S) only (LwM2M result 9 for other protocols, 7 for a bad URI). */
function startDownload(uri: string): FirmwareUpdateEvent {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    const reason = `${uri} is not a valid absolute URI`;
    return { type: 'PackageUriRefused', uri, result: UpdateResult.InvalidUri, reason };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const reason = `${url.protocol.slice(0, -1)} is not supported: this device downloads over http and https`;
    return { type: 'PackageUriRefused', uri, result: UpdateResult.UnsupportedProtocol, reason };
  }
  const segments = url.pathname.split('/').filter((s) => s !== '');
  const packageName = safeDecode(segments.at(-1) ?? url.hostname);
  return { type: 'DownloadStarted', uri, packageName };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment).slice(0, 255);
  } catch {
    return segment.slice(0, 255);
  }
}

export function evolveFirmwareUpdate(current: FirmwareUpdate, event: FirmwareUpdateEvent): FirmwareUpdate {
  switch (event.type) {
    case 'DownloadStarted':
      return {
        ...initialFirmwareUpdate,
        state: FirmwareUpdateState.Downloading,
        packageUri: event.uri,
        packageName: event.packageName,
      };
    case 'PackageUriRefused':
      return { ...initialFirmwareUpdate, packageUri: event.uri, result: event.result, reason: event.reason };
    case 'FirmwareUpdateReset':
      return initialFirmwareUpdate;
    case 'PackageDownloaded':
      return { ...current, state: FirmwareUpdateState.Downloaded, packageVersion: event.packageVersion };
    case 'DownloadFailed':
      return {
        ...current,
        state: FirmwareUpdateState.Idle,
        result: event.result,
        packageVersion: null,
        reason: event.reason,
      };
    case 'UpdateStarted':
      return { ...current, state: FirmwareUpdateState.Updating, result: UpdateResult.Initial, reason: null };
    case 'UpdateRefused':
      return { ...current, result: UpdateResult.UpdateFailed, reason: event.reason };
    case 'FirmwareUpdated':
      return { ...current, state: FirmwareUpdateState.Idle, result: UpdateResult.Updated, reason: null };
    case 'UpdateFailed':
      return {
        ...current,
        state: FirmwareUpdateState.Downloaded,
        result: UpdateResult.UpdateFailed,
        reason: event.reason,
      };
    default: {
      const unknown: never = event;
      throw new Error(`unknown firmware update event ${JSON.stringify(unknown)}`);
    }
  }
}

/** The object 5 resources with their current values (what Read and Observe of /5/0 return). */
export function firmwareUpdateRecords(
  update: FirmwareUpdate,
): { readonly path: string; readonly value: string | number }[] {
  return [
    { path: '/5/0/1', value: update.packageUri },
    { path: '/5/0/3', value: update.state },
    { path: '/5/0/5', value: update.result },
    ...(update.packageName === null ? [] : [{ path: '/5/0/7', value: update.packageName }]),
    ...(update.packageVersion === null ? [] : [{ path: '/5/0/8', value: update.packageVersion }]),
  ];
}
