import {
  assertNever,
  ConflictError,
  IllegalStateError,
  NotFoundError,
  PreconditionFailedError,
} from '@fleet/core';
import {
  assertApplicable,
  effectiveChanges,
  type Configuration,
  type ConfigurationChanges,
} from './configuration';
import {
  evolveDevice,
  initialDeviceState,
  isLorawan,
  type DeviceCredential,
  type DeviceEvent,
  type DeviceProvisionedData,
  type DeviceState,
  type DeviceStatus,
  type ProvisionedDevice,
} from './device';

type Command<TType extends string, TData = object> = {
  readonly type: TType;
  readonly deviceId: string;
  /** Twin version the operator saw (`If-Match`); the command fails if the device moved on. */
  readonly expectedVersion?: number | undefined;
} & TData;

export type DeviceCommand =
  | Command<'ProvisionDevice', { data: DeviceProvisionedData; activate: boolean }>
  | Command<'ActivateDevice'>
  | Command<'SuspendDevice'>
  | Command<'ResumeDevice'>
  | Command<'QuarantineDevice'>
  | Command<'RotateCredentials', { credential: DeviceCredential }>
  | Command<'DecommissionDevice'>
  | Command<'ReEnrolDevice', { credential: DeviceCredential }>
  | Command<'ChangeLabels', { tags?: readonly string[]; attributes?: Readonly<Record<string, string>> }>
  | Command<'ChangeDesiredConfiguration', { changes: ConfigurationChanges; jobId: string | null }>
  | Command<'RecordDeviceReport', { reported: Configuration; firmwareVersion: string | null }>;

export type DeviceCommandType = DeviceCommand['type'];

/** Lifecycle transitions: which states each operation may start from. */
const ALLOWED_FROM: Partial<Record<DeviceCommandType, readonly DeviceStatus[]>> = {
  ActivateDevice: ['provisioned'],
  SuspendDevice: ['provisioned', 'active', 'quarantined'],
  ResumeDevice: ['suspended', 'quarantined'],
  QuarantineDevice: ['provisioned', 'active', 'suspended'],
  ReEnrolDevice: ['decommissioned'],
};

/** Decides which facts a command produces from the device's current state; pure. */
export function decideDevice(command: DeviceCommand, state: DeviceState): DeviceEvent[] {
  const { deviceId } = command;
  if (command.type === 'ProvisionDevice') {
    if (state.status === 'decommissioned') throw decommissioned(deviceId);
    if (state.status !== 'unprovisioned') {
      throw new ConflictError(`device ${deviceId} is already provisioned`, { deviceId });
    }
    const provisioned: DeviceEvent = { type: 'DeviceProvisioned', data: command.data };
    return command.activate ? [provisioned, { type: 'DeviceActivated', data: { deviceId } }] : [provisioned];
  }
  if (state.status === 'unprovisioned') throw new NotFoundError(`device ${deviceId} not found`, { deviceId });
  if (command.expectedVersion !== undefined && command.expectedVersion !== state.version) {
    throw new PreconditionFailedError(
      `device ${deviceId} is at version ${state.version}, not ${command.expectedVersion}; read it again and retry`,
      { deviceId, version: state.version, expectedVersion: command.expectedVersion },
    );
  }
  if (state.status === 'decommissioned' && command.type !== 'ReEnrolDevice') throw decommissioned(deviceId);
  const allowed = ALLOWED_FROM[command.type];
  if (allowed && !allowed.includes(state.status)) {
    throw new IllegalStateError(
      `cannot ${describe(command.type)} device ${deviceId}: it is ${state.status}`,
      {
        deviceId,
        status: state.status,
      },
    );
  }
  return decideOnProvisioned(command, state);
}

function decideOnProvisioned(
  command: Exclude<DeviceCommand, { type: 'ProvisionDevice' }>,
  state: ProvisionedDevice,
): DeviceEvent[] {
  const { deviceId } = command;
  switch (command.type) {
    case 'ActivateDevice':
      return [{ type: 'DeviceActivated', data: { deviceId } }];
    case 'SuspendDevice':
      return [{ type: 'DeviceSuspended', data: { deviceId } }];
    case 'ResumeDevice':
      return [{ type: 'DeviceResumed', data: { deviceId } }];
    case 'QuarantineDevice':
      return [{ type: 'DeviceQuarantined', data: { deviceId } }];
    case 'RotateCredentials':
      if (command.credential.type === 'lorawan-appkey' && !isLorawan(state)) {
        throw new ConflictError(`device ${deviceId} is not a LoRaWAN device; it has no AppKey`, { deviceId });
      }
      return [{ type: 'DeviceCredentialsRotated', data: { deviceId, credential: command.credential } }];
    case 'DecommissionDevice':
      return [{ type: 'DeviceDecommissioned', data: { deviceId, serial: state.serial } }];
    case 'ReEnrolDevice':
      return [{ type: 'DeviceReEnrolled', data: { deviceId, credential: command.credential } }];
    case 'ChangeLabels': {
      const tags = command.tags ?? state.tags;
      const attributes = command.attributes ?? state.attributes;
      if (sameTags(tags, state.tags) && sameRecord(attributes, state.attributes)) return [];
      return [{ type: 'DeviceLabelsChanged', data: { deviceId, tags, attributes } }];
    }
    case 'ChangeDesiredConfiguration': {
      assertApplicable(command.changes, { lorawan: isLorawan(state), region: state.region });
      const changes = effectiveChanges(state.desired, command.changes);
      if (Object.keys(changes).length === 0) return [];
      return [{ type: 'DesiredConfigurationChanged', data: { deviceId, changes, jobId: command.jobId } }];
    }
    case 'RecordDeviceReport': {
      const events: DeviceEvent[] = [];
      const reported = effectiveChanges(state.reported, command.reported);
      if (Object.keys(reported).length > 0) {
        events.push({ type: 'ConfigurationApplied', data: { deviceId, reported } });
      }
      if (command.firmwareVersion !== null && command.firmwareVersion !== state.firmwareVersion) {
        events.push({
          type: 'FirmwareVersionChanged',
          data: {
            deviceId,
            previousVersion: state.firmwareVersion,
            firmwareVersion: command.firmwareVersion,
          },
        });
      }
      return events;
    }
    default:
      return assertNever(command);
  }
}

function decommissioned(deviceId: string): ConflictError {
  return new ConflictError(
    `device ${deviceId} is decommissioned: its credentials are revoked and its identity is retired; an admin may re-enrol it`,
    { deviceId, status: 'decommissioned' },
  );
}

function describe(type: DeviceCommandType): string {
  return type
    .replace(/Device$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

const sameTags = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((tag, i) => tag === [...b].sort()[i]);

const sameRecord = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

export const deviceDecider = { decide: decideDevice, evolve: evolveDevice, initialState: initialDeviceState };
