/**
 * Who may talk, as ingestion knows it from the device events: the pure rules, no I/O.
 * The broker enforces the same states for connections (enable, disable, remove); ingestion
 * checks them again per message, so a message already in flight when a device was suspended is
 * refused too.
 */
export type AccessStatus = 'provisioned' | 'active' | 'suspended' | 'quarantined' | 'decommissioned';

export interface DeviceAccess {
  readonly deviceId: string;
  readonly tenant: string;
  readonly status: AccessStatus;
  readonly model: string;
  /** LoRaWAN DevEUI in lower-case hex, for uplinks arriving through a network server. */
  readonly devEui: string | null;
  /** Revision of the last device event applied; events at or below it are replays. */
  readonly revision: number;
}

/** The part of a device event (from `fleet.device-events.v1`) that access depends on. */
export interface DeviceFact {
  readonly type: string;
  readonly deviceId: string;
  readonly revision: number;
  readonly tenant: string;
  readonly model?: string;
  readonly devEui?: string | null;
}

export type BrokerAction = 'enable' | 'disable' | 'remove';

const STATUS_AFTER: Readonly<Record<string, AccessStatus>> = {
  DeviceActivated: 'active',
  DeviceResumed: 'active',
  DeviceSuspended: 'suspended',
  DeviceQuarantined: 'quarantined',
  DeviceDecommissioned: 'decommissioned',
  DeviceReEnrolled: 'provisioned',
};

export function evolveAccess(current: DeviceAccess | undefined, fact: DeviceFact): DeviceAccess | undefined {
  if (current && fact.revision <= current.revision) return current;
  if (fact.type === 'DeviceProvisioned') {
    return {
      deviceId: fact.deviceId,
      tenant: fact.tenant,
      status: 'provisioned',
      model: fact.model ?? '',
      devEui: fact.devEui ? fact.devEui.toLowerCase() : null,
      revision: fact.revision,
    };
  }
  if (!current) return undefined; // a later event whose provisioning we never saw: nothing to admit
  return { ...current, status: STATUS_AFTER[fact.type] ?? current.status, revision: fact.revision };
}

/**
 * What the broker must do to go from one state to the other; undefined when nothing changes.
 * Computed per batch from first to final state, so catching up on history does not kick a device
 * once for every suspension it ever had.
 */
export function brokerActionBetween(
  before: DeviceAccess | undefined,
  after: DeviceAccess | undefined,
): BrokerAction | undefined {
  if (!after || before?.status === after.status) return undefined;
  switch (after.status) {
    case 'active':
    case 'quarantined':
      return 'enable';
    case 'suspended':
      return 'disable';
    case 'decommissioned':
      return 'remove';
    case 'provisioned':
      // Provisioning and re-enrolment register the device (disabled until activated) themselves.
      return before ? 'disable' : undefined;
  }
}

export type Refusal = 'unknown-device' | `device-${Exclude<AccessStatus, 'active' | 'quarantined'>}`;

/** Telemetry is kept from active and quarantined devices only. */
export function refusalOf(access: DeviceAccess | undefined): Refusal | undefined {
  if (!access) return 'unknown-device';
  if (access.status === 'active' || access.status === 'quarantined') return undefined;
  return `device-${access.status}`;
}
