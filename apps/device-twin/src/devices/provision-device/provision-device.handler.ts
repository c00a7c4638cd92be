import { randomUUID } from 'node:crypto';
import { ConcurrencyError, ConflictError, type CommandMetadata } from '@fleet/core';
import {
  decideAndAppend,
  EVENT_STORE,
  handleCommand,
  loadAggregate,
  type EventStore,
} from '@fleet/event-store';
import { DEVICE_BROKER_ACCESS, type DeviceBrokerAccess } from '@fleet/messaging';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { registerWithBroker } from '../credentials/broker-registration';
import { CREDENTIAL_ISSUER } from '../credentials/credentials.providers';
import type { CredentialIssuer, CredentialRequest, IssuedCredential } from '../credentials/credential-issuer';
import {
  deviceStream,
  initialDeviceState,
  NO_CREDENTIAL,
  type DeviceClassInfo,
  type DeviceState,
} from '../device';
import { deviceDecider } from '../device.decide';
import { serialDecider, serialStream } from '../serial-reservation';
import type { ProvisionDeviceRequest } from './provision-device.request';

export interface ProvisionOutcome {
  readonly deviceId: string;
  readonly version: number;
  /** False when the serial was already provisioned: the existing device is returned. */
  readonly created: boolean;
  /** Secret or generated AppKey, shown once; absent for an existing device. */
  readonly oneTime?: IssuedCredential['oneTime'];
}

/**
 * Provisions a device, idempotently by serial: the serial is reserved first (its own stream), then
 * the device stream is created. A crash between the two leaves a reservation whose device has no
 * stream yet, which the next attempt with that serial completes.
 */
@Injectable()
export class ProvisionDeviceHandler {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CREDENTIAL_ISSUER) private readonly issuer: CredentialIssuer,
    @Optional() @Inject(DEVICE_BROKER_ACCESS) private readonly broker?: DeviceBrokerAccess,
  ) {}

  async handle(request: ProvisionDeviceRequest, metadata: CommandMetadata): Promise<ProvisionOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(request, metadata);
      } catch (error) {
        // Someone else reserved the serial or created the device meanwhile: decide again.
        if (!(error instanceof ConcurrencyError) || attempt >= 3) throw error;
      }
    }
  }

  private async attempt(
    request: ProvisionDeviceRequest,
    metadata: CommandMetadata,
  ): Promise<ProvisionOutcome> {
    const reservationStream = serialStream(metadata.tenant, request.serial);
    const reservation = await loadAggregate(this.store, reservationStream, serialDecider);
    const reservedFor = reservation.state.deviceId;
    if (reservedFor !== null && request.deviceId !== undefined && request.deviceId !== reservedFor) {
      throw new ConflictError(`serial ${request.serial} is registered to device ${reservedFor}`, {
        serial: request.serial,
        deviceId: reservedFor,
      });
    }
    const deviceId = reservedFor ?? request.deviceId ?? randomUUID();
    const device =
      reservedFor === null && request.deviceId === undefined
        ? { state: initialDeviceState, revision: -1n } // a fresh UUID has no stream yet
        : await loadAggregate(this.store, deviceStream(deviceId), deviceDecider);
    if (device.state.status !== 'unprovisioned') {
      // The serial's own device: an idempotent retry gets it back, unless it was retired.
      if (reservedFor !== null && device.state.status !== 'decommissioned') {
        return { deviceId, version: device.state.version, created: false };
      }
      // Otherwise the aggregate refuses with its reason (409: tombstone, or an id already taken).
      deviceDecider.decide(provisionCommand(deviceId, request), device.state);
    }
    if (reservedFor === null) {
      await decideAndAppend(
        this.store,
        reservationStream,
        serialDecider,
        { type: 'ReserveSerial', serial: request.serial, deviceId },
        metadata,
        reservation,
      );
    }
    const issued = await this.issuer.issue(deviceId, credentialRequest(request));
    await registerWithBroker(this.broker, deviceId, issued, request.activate);
    try {
      const { state } = await decideAndAppend(
        this.store,
        deviceStream(deviceId),
        deviceDecider,
        provisionCommand(deviceId, request, issued),
        metadata,
        device,
      );
      return { deviceId, version: state.version, created: true, oneTime: issued.oneTime };
    } catch (error) {
      if (reservedFor === null) await this.release(reservationStream, request.serial, deviceId, metadata);
      throw error;
    }
  }

  /** Undoes our reservation when the device id turned out to be taken. */
  private async release(stream: string, serial: string, deviceId: string, metadata: CommandMetadata) {
    const current: DeviceState = (await loadAggregate(this.store, deviceStream(deviceId), deviceDecider))
      .state;
    if (current.status !== 'unprovisioned' && current.serial === serial) return;
    await handleCommand(
      this.store,
      stream,
      serialDecider,
      { type: 'ReleaseSerial', serial, deviceId },
      metadata,
    );
  }
}

function credentialRequest(request: ProvisionDeviceRequest): CredentialRequest {
  if (request.credentials) return request.credentials;
  return request.deviceClass.kind === 'lorawan' ? { type: 'lorawan-appkey' } : { type: 'secret' };
}

function deviceClassOf(request: ProvisionDeviceRequest): DeviceClassInfo {
  const c = request.deviceClass;
  return {
    kind: c.kind,
    wakeIntervalSeconds: c.kind === 'sleepy' ? c.wakeIntervalSeconds : null,
    lorawanClass: c.kind === 'lorawan' ? c.lorawanClass : null,
    devEui: c.kind === 'lorawan' ? c.devEui : null,
  };
}

const NOT_ISSUED: IssuedCredential = { credential: NO_CREDENTIAL, oneTime: {} };

function provisionCommand(
  deviceId: string,
  request: ProvisionDeviceRequest,
  issued: IssuedCredential = NOT_ISSUED,
) {
  return {
    type: 'ProvisionDevice' as const,
    deviceId,
    activate: request.activate,
    data: {
      deviceId,
      serial: request.serial,
      manufacturer: request.manufacturer,
      model: request.model,
      hardwareRevision: request.hardwareRevision ?? null,
      firmwareVersion: request.firmwareVersion ?? null,
      deviceClass: deviceClassOf(request),
      region: request.region ?? null,
      tags: request.tags,
      attributes: request.attributes,
      credential: issued.credential,
    },
  };
}
