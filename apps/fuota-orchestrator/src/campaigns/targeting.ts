import type { DeviceFacts } from '@fleet/contracts';
import { compareFirmwareVersions } from '@fleet/firmware';
import type { ArtifactRef } from './campaign-events';

export interface Excluded {
  readonly deviceId: string;
  readonly reason: string;
}

export interface Targeting {
  /** Devices the campaign will update, in id order. */
  readonly eligible: readonly DeviceFacts[];
  /** Model or hardware revision the artifact was not built for. */
  readonly incompatible: readonly Excluded[];
  /** Devices on a newer version than the artifact (anti-rollback). */
  readonly downgrades: readonly Excluded[];
  readonly alreadyUpToDate: readonly string[];
  /** Retired devices are never targeted. */
  readonly decommissioned: readonly string[];
}

/**
 * Sorts the devices a selector matched: which the artifact fits, which it does not (and why),
 * which it would downgrade, which run it already. Hardware revisions are checked only when the
 * artifact names some; a device's revision is its `hardwareRevision` attribute.
 */
export function target(
  devices: readonly DeviceFacts[],
  artifact: ArtifactRef,
  allowDowngrade: boolean,
): Targeting {
  const eligible: DeviceFacts[] = [];
  const incompatible: Excluded[] = [];
  const downgrades: Excluded[] = [];
  const alreadyUpToDate: string[] = [];
  const decommissioned: string[] = [];
  for (const device of devices) {
    if (device.status === 'decommissioned') {
      decommissioned.push(device.deviceId);
      continue;
    }
    const reason = incompatibility(device, artifact);
    if (reason) {
      incompatible.push({ deviceId: device.deviceId, reason });
      continue;
    }
    const current = device.firmwareVersion;
    if (current !== null && compareFirmwareVersions(current, artifact.version) === 0) {
      alreadyUpToDate.push(device.deviceId);
      continue;
    }
    if (current !== null && compareFirmwareVersions(artifact.version, current) < 0 && !allowDowngrade) {
      downgrades.push({
        deviceId: device.deviceId,
        reason: `runs ${current}, newer than ${artifact.version}: a downgrade needs allowDowngrade with a reason`,
      });
      continue;
    }
    eligible.push(device);
  }
  return { eligible, incompatible, downgrades, alreadyUpToDate, decommissioned };
}

function incompatibility(device: DeviceFacts, artifact: ArtifactRef): string | undefined {
  if (device.model === null || !artifact.models.includes(device.model)) {
    return `model ${device.model ?? '(unknown)'} is not one of ${artifact.models.join(', ')}`;
  }
  if (artifact.hardwareRevisions.length === 0) return undefined;
  const revision = device.attributes['hardwareRevision'];
  if (revision === undefined || !artifact.hardwareRevisions.includes(revision)) {
    return `hardware revision ${revision ?? '(unknown)'} is not one of ${artifact.hardwareRevisions.join(', ')}`;
  }
  return undefined;
}
