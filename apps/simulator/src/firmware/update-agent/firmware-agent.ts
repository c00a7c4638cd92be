import { FirmwareUpdateState } from '@fleet/firmware';
import type { DeviceModel } from '../../device/device-model';
import {
  UpdateResult,
  type DownloadFailure,
  type FirmwareUpdateCommand,
  type FirmwareUpdateEvent,
} from '../../device/firmware-update';
import type { FleetFirmware } from './fleet-firmware';
import type { InjectedFailures } from '../injected-failures';
import { downloadPackage } from '../download/package-download';
import { DownloadRefusedError, PackageVerifier } from '../download/package-verifier';

export interface FirmwareAgentOptions {
  readonly model: DeviceModel;
  readonly fleet: FleetFirmware;
  readonly failures: InjectedFailures;
  /** Object 5 changed (already applied to the model): the device reports it. */
  readonly report: (events: readonly FirmwareUpdateEvent[]) => void;
  /** Restarts the device, at the end of an installation (on the new firmware or, crashed, the old). */
  readonly restart: () => void;
}

/**
 * The part of a device that acts on its object 5: downloads and verifies the package while the
 * state is Downloading, installs while it is Updating, and tells the model how that ended.
 */
export class FirmwareAgent {
  private download?: { readonly uri: string; readonly controller: AbortController };
  private installation?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: FirmwareAgentOptions) {}

  /** After object 5 changed (a command, a reboot): reports it and starts or stops work to match. */
  changed(events: readonly FirmwareUpdateEvent[]): void {
    if (events.length > 0) this.options.report(events);
    if (this.stopped) return;
    const { state, packageUri } = this.options.model.firmwareUpdate;
    const downloading = state === FirmwareUpdateState.Downloading;
    if (this.download && (!downloading || this.download.uri !== packageUri)) {
      this.download.controller.abort();
      this.download = undefined;
    }
    if (downloading && !this.download) this.startDownload(packageUri);
    if (state !== FirmwareUpdateState.Updating && this.installation) {
      clearTimeout(this.installation);
      this.installation = undefined;
    }
    if (state === FirmwareUpdateState.Updating && !this.installation) {
      this.installation = setTimeout(() => this.install(), this.options.fleet.settings.installMs);
    }
  }

  stop(): void {
    this.stopped = true;
    this.download?.controller.abort();
    this.download = undefined;
    clearTimeout(this.installation);
  }

  private apply(command: FirmwareUpdateCommand): void {
    this.changed(this.options.model.updateFirmware(command).events);
  }

  private startDownload(uri: string): void {
    const download = { uri, controller: new AbortController() };
    this.download = download;
    void this.fetchAndVerify(uri, download.controller.signal)
      .catch((error: unknown): FirmwareUpdateCommand => {
        const reason = `download failed: ${error instanceof Error ? error.message : String(error)}`;
        return { kind: 'FailDownload', uri, result: UpdateResult.ConnectionLost, reason };
      })
      .then((command) => {
        // Cancelled or replaced meanwhile: the state machine has moved on.
        if (this.download !== download) return;
        this.download = undefined;
        this.apply(command);
      });
  }

  private async fetchAndVerify(uri: string, signal: AbortSignal): Promise<FirmwareUpdateCommand> {
    const { fleet, failures } = this.options;
    const { settings } = fleet;
    const fail = (result: DownloadFailure, reason: string): FirmwareUpdateCommand => ({
      kind: 'FailDownload',
      uri,
      result,
      reason,
    });
    const verifier = new PackageVerifier(settings.maxPackageBytes);
    const dropsConnection = failures.next('download');
    const outcome = await downloadPackage(uri, {
      chunkBytes: settings.chunkBytes,
      retries: settings.downloadRetries,
      retryDelayMs: settings.retryDelayMs,
      requestTimeoutMs: settings.requestTimeoutMs,
      signal,
      onBytes: (bytes) => {
        verifier.update(bytes);
        if (dropsConnection) {
          const reason = `connection lost during download after ${bytes.length} bytes (injected failure)`;
          throw new DownloadRefusedError(UpdateResult.ConnectionLost, reason);
        }
      },
    });
    if (!outcome.ok) return fail(outcome.result, outcome.reason);
    if (failures.next('signature')) {
      return fail(UpdateResult.IntegrityFailure, 'signature does not verify (injected failure)');
    }
    const verified = verifier.finish(await fleet.trustedKeys());
    if (!verified.ok) return fail(verified.result, verified.reason);
    return { kind: 'CompleteDownload', uri, packageVersion: verified.header.version };
  }

  /** The end of an installation: the device restarts, on the new firmware unless it crashed. */
  private install(): void {
    this.installation = undefined;
    const { model, failures } = this.options;
    const running = model.firmwareVersion;
    const crashed = failures.next('install');
    const reason = `the device crashed while installing ${model.firmwareUpdate.packageVersion} and restarted on ${running} (injected failure)`;
    const { events } = model.updateFirmware(
      crashed ? { kind: 'FailUpdate', reason } : { kind: 'CompleteUpdate' },
    );
    // Restart first: what changed is reported once the device is back.
    this.options.restart();
    this.changed(events);
  }
}
