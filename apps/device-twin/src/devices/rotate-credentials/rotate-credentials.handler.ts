import { NotFoundError, type CommandMetadata } from '@fleet/core';
import { EVENT_STORE, loadAggregate, type EventStore } from '@fleet/event-store';
import { DEVICE_BROKER_ACCESS, type DeviceBrokerAccess } from '@fleet/messaging';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { mayConnect, registerWithBroker } from '../credentials/broker-registration';
import type { z } from 'zod';
import { DeviceCommandHandler } from '../device-commands/device-command.handler';
import { CREDENTIAL_ISSUER } from '../credentials/credentials.providers';
import type { CredentialIssuer, CredentialRequest, IssuedCredential } from '../credentials/credential-issuer';
import { deviceStream, isLorawan } from '../device';
import { deviceDecider } from '../device.decide';
import type { credentialsRequest } from '../provision-device/provision-device.request';

export interface CredentialOutcome {
  readonly version: number;
  readonly oneTime: IssuedCredential['oneTime'];
}

/** Rotating and re-enrolling both issue a new credential; only the hash or ciphertext is recorded. */
@Injectable()
export class RotateCredentialsHandler {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CREDENTIAL_ISSUER) private readonly issuer: CredentialIssuer,
    private readonly commands: DeviceCommandHandler,
    @Optional() @Inject(DEVICE_BROKER_ACCESS) private readonly broker?: DeviceBrokerAccess,
  ) {}

  async handle(
    type: 'RotateCredentials' | 'ReEnrolDevice',
    deviceId: string,
    requested: z.infer<typeof credentialsRequest> | undefined,
    expectedVersion: number | undefined,
    metadata: CommandMetadata,
  ): Promise<CredentialOutcome> {
    const { state } = await loadAggregate(this.store, deviceStream(deviceId), deviceDecider);
    if (state.status === 'unprovisioned')
      throw new NotFoundError(`device ${deviceId} not found`, { deviceId });
    const request: CredentialRequest =
      requested ?? (isLorawan(state) ? { type: 'lorawan-appkey' } : { type: 'secret' });
    const issued = await this.issuer.issue(deviceId, request);
    const command = { type, deviceId, expectedVersion, credential: issued.credential } as const;
    deviceDecider.decide(command, state); // refuses (decommissioned, stale version) before the broker hears of it
    // Re-enrolment leaves the device provisioned, not active: the broker enables it on activation.
    await registerWithBroker(
      this.broker,
      deviceId,
      issued,
      type === 'RotateCredentials' && mayConnect(state.status),
    );
    const outcome = await this.commands.execute(command, metadata);
    return { version: outcome.version, oneTime: issued.oneTime };
  }
}
