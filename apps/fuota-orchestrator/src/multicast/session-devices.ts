import type { DeviceFacts } from '@fleet/contracts';
import type { SessionDevice } from './multicast-session-events';

/** A session device with the network-server application its unicast downlinks go to. */
export interface SessionTarget extends SessionDevice {
  readonly applicationId: string;
}

export type DeviceSelection =
  | { readonly ok: true; readonly targets: readonly SessionTarget[] }
  | { readonly ok: false; readonly problems: readonly string[] };

const SHOWN = 20;
const list = (ids: readonly string[]) =>
  ids.slice(0, SHOWN).join(', ') + (ids.length > SHOWN ? ` and ${ids.length - SHOWN} more` : '');

/**
 * The devices a session request names (ids or DevEUIs), or why not: unknown, not LoRaWAN,
 * suspended or retired, already on the version, named twice, or busy in another session.
 */
export function selectDevices(input: {
  readonly refs: readonly string[];
  readonly found: ReadonlyMap<string, DeviceFacts>;
  readonly version: string;
  readonly defaultApplicationId: string;
  /** Devices in a session that has not finished. */
  readonly busy: (deviceId: string) => boolean;
}): DeviceSelection {
  const problems: string[] = [];
  const problem = (ids: string[], what: string) => {
    if (ids.length > 0) problems.push(`${ids.length} ${what}: ${list(ids)}`);
  };
  const facts = input.refs.map((ref) => ({ ref, facts: input.found.get(ref) }));
  const known = facts.filter((f): f is { ref: string; facts: DeviceFacts } => f.facts !== undefined);
  const ids = known.map((f) => f.facts.deviceId);
  problem(
    facts.filter((f) => !f.facts).map((f) => f.ref),
    'unknown devices (no device with that id or DevEUI)',
  );
  problem(
    ids.filter((id, i) => ids.indexOf(id) !== i),
    'devices named twice',
  );
  problem(
    known.filter((f) => f.facts.kind !== 'lorawan' || !f.facts.devEui).map((f) => f.ref),
    'devices that are not LoRaWAN devices with a DevEUI',
  );
  problem(
    known
      .filter((f) => ['suspended', 'quarantined', 'decommissioned'].includes(f.facts.status))
      .map((f) => f.ref),
    'devices suspended, quarantined or decommissioned',
  );
  problem(
    known.filter((f) => f.facts.firmwareVersion === input.version).map((f) => f.ref),
    `devices that already run ${input.version}`,
  );
  problem(
    known.filter((f) => input.busy(f.facts.deviceId)).map((f) => f.ref),
    'devices already in a multicast session that has not finished',
  );
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    targets: known.map(({ facts: f }) => ({
      deviceId: f.deviceId,
      devEui: f.devEui!.toLowerCase(),
      model: f.model ?? '',
      applicationId: f.attributes['lorawanApplicationId'] ?? input.defaultApplicationId,
    })),
  };
}
