import { createHash } from 'node:crypto';
import type { EventMetadata } from '@fleet/core';
import type { EventRecord } from '@fleet/contracts';
import { findConfigurationResource } from '@fleet/device-protocol';
import { Injectable, Logger } from '@nestjs/common';
import type { ScalarValue } from '../../commands/command-events';
import { CommandService, type CommandInput } from '../../commands/request-command/command-service';
import { CommandLedger } from '../../commands/store/command-ledger';
import { DeviceDirectory } from '../../devices/directory/device-directory';
import { configurationWrites } from '../configuration-writes';

export interface DesiredChange {
  readonly deviceId: string;
  readonly eventId: string;
  readonly revision: number;
  readonly changes: Readonly<Record<string, ScalarValue | null>>;
  readonly envelope: EventRecord['envelope'];
}

/** A command id derived from the event and key, so a redelivered event finds its commands already recorded. */
export function configurationCommandId(eventId: string, key: string): string {
  const hex = createHash('sha256').update(`configuration:${eventId}:${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Closes the configuration loop on the dispatcher's side: a desired-configuration change becomes
 * one Write per key (superseding writes of the same key still waiting), acted for the operator who
 * changed it. The device's acknowledgement (CommandSucceeded with its configuration key) becomes
 * ConfigurationApplied in device-twin.
 */
@Injectable()
export class ConfigurationLoop {
  private readonly logger = new Logger(ConfigurationLoop.name);

  constructor(
    private readonly commands: CommandService,
    private readonly ledger: CommandLedger,
    private readonly devices: DeviceDirectory,
  ) {}

  async apply(changes: readonly DesiredChange[]): Promise<void> {
    if (changes.length === 0) return;
    const known = await this.devices.findMany([...new Set(changes.map((c) => c.deviceId))]);
    const inputs: CommandInput[] = [];
    for (const change of changes) {
      if (!known.has(change.deviceId)) continue;
      const { writes, skipped } = configurationWrites(
        change.changes,
        (key) => findConfigurationResource(key)?.pattern,
      );
      if (skipped.length > 0)
        this.logger.debug({ deviceId: change.deviceId, skipped }, 'configuration keys not written');
      const metadata = metadataOf(change);
      for (const write of writes) {
        const commandId = configurationCommandId(change.eventId, write.key);
        await this.supersede(change.deviceId, write.key, commandId, metadata);
        inputs.push({
          deviceId: change.deviceId,
          operation: write.operation,
          origin: 'configuration',
          configurationKey: write.key,
          commandId,
          metadata,
        });
      }
    }
    await this.commands.requestMany(inputs);
  }

  /** Cancels older writes of the key still waiting; not `commandId` itself (a redelivered change). */
  private async supersede(
    deviceId: string,
    key: string,
    commandId: string,
    metadata: EventMetadata,
  ): Promise<void> {
    const waiting = (await this.ledger.rows.openConfigurationWrites(deviceId, key)).filter(
      (command) => command.request.commandId !== commandId,
    );
    await this.ledger.decideAll(
      waiting.map((command) => ({
        commandId: command.request.commandId,
        known: command,
        metadata: { ...metadata, reason: `superseded by a newer desired ${key}` },
        command: { type: 'CancelCommand' as const },
      })),
    );
  }
}

function metadataOf(change: DesiredChange): EventMetadata {
  const { envelope } = change;
  const actorType = envelope.actor.type.toLowerCase();
  return {
    actor: {
      type: actorType === 'device' || actorType === 'service' ? actorType : 'operator',
      id: envelope.actor.id,
    },
    reason: `desired configuration changed (device revision ${change.revision})${envelope.reason ? `: ${envelope.reason}` : ''}`,
    occurredAt: new Date().toISOString(),
    correlationId: envelope.correlationId,
    causationId: envelope.eventId,
    tenant: envelope.tenant,
  };
}
