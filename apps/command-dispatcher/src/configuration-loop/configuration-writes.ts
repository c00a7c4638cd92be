import type { OperationRequest, ScalarValue } from '../commands/command-events';

/** The LwM2M resource that holds a configuration key (e.g. `application.reportingIntervalSeconds` → `/26241/0/2`). */
export type ResourceOfKey = (key: string) => string | undefined;

export interface ConfigurationWrite {
  readonly key: string;
  readonly operation: OperationRequest;
}

/**
 * The Write commands that bring a device to a desired configuration change. Keys removed from the
 * desired state (null) and keys no LwM2M resource holds are left to the device's own reports:
 * LwM2M has no "unset", and a key without a resource cannot be written.
 */
export function configurationWrites(
  changes: Readonly<Record<string, ScalarValue | null>>,
  resourceOf: ResourceOfKey,
): { writes: ConfigurationWrite[]; skipped: string[] } {
  const writes: ConfigurationWrite[] = [];
  const skipped: string[] = [];
  for (const [key, value] of Object.entries(changes).sort(([a], [b]) => a.localeCompare(b))) {
    const path = resourceOf(key);
    if (value === null || path === undefined) {
      skipped.push(key);
      continue;
    }
    writes.push({
      key,
      operation: { operation: 'write', path, value, arguments: null, attributes: null, instanceValues: null },
    });
  }
  return { writes, skipped };
}
