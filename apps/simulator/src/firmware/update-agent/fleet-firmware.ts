import { loadTrustedKeys, type TrustedKey } from '@fleet/firmware';
import { seededRandom, seedOf } from '../../device/random';
import type { FirmwareSettings } from '../firmware-options';
import { InjectedFailures } from '../injected-failures';

/** What the devices of one simulator run share for firmware updates. */
export class FleetFirmware {
  private keys?: Promise<TrustedKey[]>;

  constructor(
    readonly settings: FirmwareSettings,
    private readonly seed: number,
  ) {}

  /** The trusted manufacturer keys, read once, when a first package is verified. */
  trustedKeys(): Promise<readonly TrustedKey[]> {
    return (this.keys ??= loadTrustedKeys(this.settings.trustedKeysDir));
  }

  /** `index`: the device's place among the run's IP devices (for `firstDevices`). */
  failuresOf(deviceId: string, index: number): InjectedFailures {
    const random = seededRandom(this.seed ^ seedOf(`${deviceId}/firmware`));
    return new InjectedFailures(this.settings.failures, { deviceId, index }, random);
  }
}
