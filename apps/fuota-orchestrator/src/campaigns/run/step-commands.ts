import { createHash } from 'node:crypto';
import {
  AVRO_CONTENT_TYPE,
  COMMAND_REQUEST_SCHEMA,
  toCommandRequestRecord,
  type AvroCodec,
  type CommandRequestMessage,
} from '@fleet/contracts';
import type { OutgoingMessage } from '@fleet/messaging';
import type { Step } from '../campaign';

/**
 * The command of a campaign step: the same id every time for a device's attempt and step, so a
 * request sent again (after a restart) records nothing new at the dispatcher.
 */
export function stepCommandId(campaignId: string, deviceId: string, attempt: number, step: Step): string {
  const hex = createHash('sha256')
    .update(`campaign:${campaignId}:${deviceId}:${attempt}:${step}`)
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface StepRequest {
  readonly campaignId: string;
  readonly campaignName: string;
  readonly deviceId: string;
  readonly attempt: number;
  readonly step: Step;
  /** Write of /5/0/1: the package URI with the device's download token. */
  readonly packageUri?: string;
  readonly causationId: string | null;
  readonly timeToLiveSeconds: number;
  readonly now: string;
}

/** The LwM2M operation of each step (object 5): observe the instance, write the URI, execute Update. */
export function stepRequest(r: StepRequest): CommandRequestMessage {
  const operation =
    r.step === 'observe'
      ? { operation: 'observe', path: '/5/0', attributes: { pmin: 0 } }
      : r.step === 'write-uri'
        ? { operation: 'write', path: '/5/0/1', value: r.packageUri ?? '' }
        : { operation: 'execute', path: '/5/0/2' };
  const what = {
    observe: 'observe firmware update state',
    'write-uri': 'write the package URI',
    execute: 'install',
  }[r.step];
  return {
    commandId: stepCommandId(r.campaignId, r.deviceId, r.attempt, r.step),
    deviceId: r.deviceId,
    path: operation.path,
    operation: operation.operation,
    value: 'value' in operation ? (operation.value ?? '') : null,
    arguments: null,
    attributes:
      'attributes' in operation
        ? { pmin: 0, pmax: undefined, gt: undefined, lt: undefined, st: undefined }
        : null,
    instanceValues: null,
    origin: 'campaign',
    timeToLiveSeconds: r.timeToLiveSeconds,
    maxAttempts: null,
    requestedAt: r.now,
    actor: { type: 'service', id: 'fuota-orchestrator' },
    reason: `campaign "${r.campaignName}" (${r.campaignId}): ${what}, attempt ${r.attempt}`,
    correlationId: r.campaignId,
    causationId: r.causationId,
    tenant: 'default',
  };
}

export const toOutgoing = (codec: AvroCodec, request: CommandRequestMessage): OutgoingMessage => ({
  key: request.deviceId,
  value: codec.encode(COMMAND_REQUEST_SCHEMA, toCommandRequestRecord(request)),
  headers: {
    'avro-schema': COMMAND_REQUEST_SCHEMA,
    'content-type': AVRO_CONTENT_TYPE,
    'correlation-id': request.correlationId,
  },
});
