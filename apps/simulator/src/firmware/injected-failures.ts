import type { Random } from '../device/random';
import type { FuotaFailureKind, FuotaFailureOptions } from './firmware-options';

/** One device's injected firmware update failures, asked once per attempt and kind. */
export class InjectedFailures {
  constructor(
    private readonly options: FuotaFailureOptions,
    private readonly device: { readonly deviceId: string; readonly index: number },
    /** The device's own stream, used only here, so draws do not depend on how much telemetry it sent. */
    private readonly random: Random,
  ) {}

  /** True when this attempt fails the given way. */
  next(kind: FuotaFailureKind): boolean {
    const injection = this.options[kind];
    if (!injection) return false;
    const { deviceId, index } = this.device;
    if (index < (injection.firstDevices ?? 0) || injection.deviceIds?.includes(deviceId)) return true;
    const rate = injection.rate ?? 0;
    return rate > 0 && this.random() < rate;
  }
}
