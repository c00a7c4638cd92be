import { ValidationError } from '@fleet/core';
import semver from 'semver';

/** A firmware version as semantic versioning 2.0 writes it (`1.4.3`, `2.0.0-rc.1`); a leading `v` is dropped. */
export function parseFirmwareVersion(text: string): string {
  const version = semver.valid(semver.clean(text) ?? text);
  if (!version) throw new ValidationError(`"${text}" is not a semantic version (e.g. 1.4.3)`);
  return version;
}

/** Negative when a is older than b, 0 when equal, positive when newer; devices' versions may be loose. */
export function compareFirmwareVersions(a: string, b: string): number {
  const left = semver.coerce(a, { includePrerelease: true }) ?? semver.coerce('0.0.0');
  const right = semver.coerce(b, { includePrerelease: true }) ?? semver.coerce('0.0.0');
  if (semver.valid(a) && semver.valid(b)) return semver.compare(a, b);
  return semver.compare(left!, right!);
}

/** Whether moving a device from `current` to `target` is a downgrade (the anti-rollback rule). */
export const isDowngrade = (current: string | null, target: string): boolean =>
  current !== null && compareFirmwareVersions(target, current) < 0;
