import { ConflictError } from '@fleet/core';

/**
 * Serials are unique per tenant. A reservation stream per serial makes provisioning idempotent by
 * serial with nothing but the event store's optimistic concurrency, so it works on every adapter.
 * The reservation outlives decommissioning: that is the tombstone that blocks re-provisioning.
 */
export type SerialEvent =
  | { readonly type: 'SerialReserved'; readonly data: { readonly serial: string; readonly deviceId: string } }
  | {
      readonly type: 'SerialReleased';
      readonly data: { readonly serial: string; readonly deviceId: string };
    };

export interface SerialState {
  readonly deviceId: string | null;
}

export const initialSerialState: SerialState = { deviceId: null };

export type SerialCommand =
  | { readonly type: 'ReserveSerial'; readonly serial: string; readonly deviceId: string }
  | { readonly type: 'ReleaseSerial'; readonly serial: string; readonly deviceId: string };

export function decideSerial(command: SerialCommand, state: SerialState): SerialEvent[] {
  if (command.type === 'ReserveSerial') {
    if (state.deviceId === command.deviceId) return [];
    if (state.deviceId !== null) {
      throw new ConflictError(`serial ${command.serial} is registered to device ${state.deviceId}`, {
        serial: command.serial,
        deviceId: state.deviceId,
      });
    }
    return [{ type: 'SerialReserved', data: { serial: command.serial, deviceId: command.deviceId } }];
  }
  if (state.deviceId !== command.deviceId) return [];
  return [{ type: 'SerialReleased', data: { serial: command.serial, deviceId: command.deviceId } }];
}

export function evolveSerial(_state: SerialState, event: SerialEvent): SerialState {
  return { deviceId: event.type === 'SerialReserved' ? event.data.deviceId : null };
}

/** Stream of a serial's reservation; outside the `device-` category, so neither relayed nor projected. */
export const serialStream = (tenant: string, serial: string): string => `serial-${tenant}/${serial}`;

export const serialDecider = { decide: decideSerial, evolve: evolveSerial, initialState: initialSerialState };
