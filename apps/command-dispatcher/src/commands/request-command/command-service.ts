import { randomUUID } from 'node:crypto';
import { NotFoundError, type EventMetadata } from '@fleet/core';
import { checkOperation } from '@fleet/device-protocol';
import { Inject, Injectable } from '@nestjs/common';
import { COMMAND_DISPATCHER_CONFIG, type CommandDispatcherConfig } from '../../config';
import { DeviceDirectory } from '../../devices/directory/device-directory';
import type { Refusal, RequestedCommand } from '../command';
import type { CommandOrigin, OperationRequest } from '../command-events';
import { buildDownlink } from '../downlink';
import { checkGates, deliveryModeOf } from '../gates';
import { Dispatcher } from '../dispatch/dispatcher';
import { CommandLedger } from '../store/command-ledger';

export interface CommandInput {
  readonly deviceId: string;
  readonly operation: OperationRequest;
  readonly origin: CommandOrigin;
  readonly metadata: EventMetadata;
  readonly commandId?: string;
  readonly jobId?: string | null;
  readonly configurationKey?: string | null;
  readonly timeToLiveSeconds?: number | undefined;
  /** An absolute expiry that caps the time-to-live (a job's end). */
  readonly notAfter?: string | null;
  readonly maxAttempts?: number | undefined;
}

export interface RequestOutcome {
  readonly command: RequestedCommand;
  readonly refusal: Refusal | null;
}

/**
 * Records commands: validates the operation against the LwM2M registry, checks the gates against
 * what the dispatcher knows of the device, and appends Requested + Queued (or Requested + Refused,
 * so a refusal stays in the device's command history), then wakes the dispatcher.
 */
@Injectable()
export class CommandService {
  constructor(
    private readonly ledger: CommandLedger,
    private readonly devices: DeviceDirectory,
    private readonly dispatcher: Dispatcher,
    @Inject(COMMAND_DISPATCHER_CONFIG) private readonly config: CommandDispatcherConfig,
  ) {}

  /** @throws ValidationError (bad operation), NotFoundError (unknown device) */
  async request(input: CommandInput): Promise<RequestOutcome> {
    checkOperation(input.operation);
    const [outcome] = await this.requestMany([input]);
    return outcome!;
  }

  /** Many commands at once (jobs, the configuration loop); operations must already be checked. */
  async requestMany(inputs: readonly CommandInput[]): Promise<RequestOutcome[]> {
    const devices = await this.devices.findMany([...new Set(inputs.map((i) => i.deviceId))]);
    const now = new Date().toISOString();
    const decisions = inputs.map((input) => {
      const device = devices.get(input.deviceId);
      if (!device)
        throw new NotFoundError(`device ${input.deviceId} is unknown to the dispatcher`, {
          deviceId: input.deviceId,
        });
      const commandId = input.commandId ?? randomUUID();
      const ttl = (input.timeToLiveSeconds ?? this.config.COMMAND_TTL_SECONDS) * 1000;
      const expiry = Math.min(Date.parse(now) + ttl, input.notAfter ? Date.parse(input.notAfter) : Infinity);
      const request = {
        ...input.operation,
        commandId,
        deviceId: input.deviceId,
        origin: input.origin,
        jobId: input.jobId ?? null,
        configurationKey: input.configurationKey ?? null,
        expiresAt: new Date(expiry).toISOString(),
        maxAttempts: input.maxAttempts ?? this.config.COMMAND_MAX_ATTEMPTS,
      };
      const radio = buildDownlink(request, device, this.dispatcher.networkServer).radio;
      const refusal = checkGates(request, device, this.dispatcher.gatePolicy, now, radio);
      return {
        commandId,
        command: { type: 'RequestCommand' as const, request, refusal, delivery: deliveryModeOf(device) },
        metadata: input.metadata,
      };
    });
    const decided = await this.ledger.decideAll(decisions);
    const outcomes = decided.map((d, i) => {
      const state = d.state as RequestedCommand;
      return { command: state, refusal: decisions[i]!.command.refusal };
    });
    this.dispatcher.kick(outcomes.filter((o) => !o.refusal).map((o) => o.command.request.deviceId));
    return outcomes;
  }
}
