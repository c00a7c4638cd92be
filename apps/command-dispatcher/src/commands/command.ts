import { assertNever, ConflictError, IllegalStateError } from '@fleet/core';
import type {
  Channel,
  CommandEvent,
  CommandRequestedData,
  DeliveryMode,
  Gate,
  ReturnedValue,
} from './command-events';

export type CommandStatus =
  | 'requested'
  | 'queued'
  | 'sent'
  | 'delivered'
  | 'succeeded'
  | 'failed'
  | 'expired'
  | 'cancelled'
  | 'refused';

const FINISHED: ReadonlySet<CommandStatus> = new Set([
  'succeeded',
  'failed',
  'expired',
  'cancelled',
  'refused',
]);

export const isFinished = (status: CommandStatus): boolean => FINISHED.has(status);

export interface CommandOutcome {
  readonly code: string | null;
  readonly values: readonly ReturnedValue[];
  readonly reason: string | null;
  readonly gate: Gate | null;
}

export interface RequestedCommand {
  readonly status: CommandStatus;
  readonly request: CommandRequestedData;
  readonly delivery: DeliveryMode | null;
  /** Sends so far (the attempt number of the latest send). */
  readonly attempt: number;
  /** A retry waits until this instant (ISO-8601); null when it may go now. */
  readonly notBefore: string | null;
  readonly lastChannel: Channel | null;
  readonly outcome: CommandOutcome | null;
  /** Number of events in the stream. */
  readonly version: number;
}

export type CommandState = { readonly status: 'none'; readonly version: 0 } | RequestedCommand;

export const initialCommandState: CommandState = { status: 'none', version: 0 };

const NO_OUTCOME: CommandOutcome = { code: null, values: [], reason: null, gate: null };

export function evolveCommand(state: CommandState, event: CommandEvent): CommandState {
  if (event.type === 'CommandRequested') {
    return {
      status: 'requested',
      request: event.data,
      delivery: null,
      attempt: 0,
      notBefore: null,
      lastChannel: null,
      outcome: null,
      version: state.version + 1,
    };
  }
  if (state.status === 'none') return state;
  const next = { ...state, version: state.version + 1 };
  switch (event.type) {
    case 'CommandQueued':
      return { ...next, status: 'queued', delivery: event.data.delivery };
    case 'CommandSent':
      return {
        ...next,
        status: 'sent',
        attempt: event.data.attempt,
        lastChannel: event.data.channel,
        notBefore: null,
      };
    case 'CommandDelivered':
      return { ...next, status: 'delivered' };
    case 'CommandSucceeded':
      return {
        ...next,
        status: 'succeeded',
        outcome: { ...NO_OUTCOME, code: event.data.code, values: event.data.values },
      };
    case 'CommandFailed':
      return {
        ...next,
        status: 'failed',
        outcome: { ...NO_OUTCOME, code: event.data.code, reason: event.data.reason },
      };
    case 'CommandRetryScheduled':
      return {
        ...next,
        status: 'queued',
        notBefore: event.data.notBefore,
        outcome: { ...NO_OUTCOME, reason: event.data.reason },
      };
    case 'CommandExpired':
      return { ...next, status: 'expired', outcome: { ...NO_OUTCOME, reason: 'time-to-live passed' } };
    case 'CommandCancelled':
      return { ...next, status: 'cancelled' };
    case 'CommandRefused':
      return {
        ...next,
        status: 'refused',
        outcome: { ...NO_OUTCOME, gate: event.data.gate, reason: event.data.reason },
      };
    default:
      return assertNever(event);
  }
}

/** Why a gate refuses a command, or null when every gate lets it through. */
export interface Refusal {
  readonly gate: Gate;
  readonly reason: string;
}

/** How a device answered (from its up/ack, or from the network server for LoRaWAN). */
export interface DeviceAnswer {
  readonly status: 'received' | 'succeeded' | 'failed';
  readonly code: string | null;
  readonly reason: string | null;
  readonly values: readonly ReturnedValue[];
}

export type CommandCommand =
  | {
      readonly type: 'RequestCommand';
      readonly request: CommandRequestedData;
      /** What the gates said at request time; a refusal is recorded, never silently dropped. */
      readonly refusal: Refusal | null;
      readonly delivery: DeliveryMode;
    }
  | {
      readonly type: 'SendCommand';
      readonly channel: Channel;
      readonly payloadBytes: number;
      readonly airtimeMs: number | null;
      /** What the gates say now: the device may have changed since the request. */
      readonly refusal: Refusal | null;
    }
  | {
      readonly type: 'RecordAnswer';
      readonly answer: DeviceAnswer;
      readonly now: string;
      readonly retryDelayMs: number;
    }
  | { readonly type: 'GiveUpWaiting'; readonly now: string; readonly retryDelayMs: number }
  | { readonly type: 'ExpireCommand'; readonly now: string }
  | { readonly type: 'CancelCommand' };

/**
 * CoAP-style codes a device answers when it cannot take a command now but could later (service
 * unavailable, gateway timeout, too many requests): the command is retried with backoff.
 */
const RETRIABLE_CODES: ReadonlySet<string> = new Set(['5.03', '5.04', '4.29']);

export function decideCommand(command: CommandCommand, state: CommandState): CommandEvent[] {
  if (command.type === 'RequestCommand') {
    if (state.status !== 'none') return []; // the same command id again: already recorded
    const of = { commandId: command.request.commandId, deviceId: command.request.deviceId };
    const requested: CommandEvent = { type: 'CommandRequested', data: command.request };
    return command.refusal
      ? [requested, { type: 'CommandRefused', data: { ...of, ...command.refusal } }]
      : [requested, { type: 'CommandQueued', data: { ...of, delivery: command.delivery } }];
  }
  if (state.status === 'none') throw new IllegalStateError('no such command');
  const of = { commandId: state.request.commandId, deviceId: state.request.deviceId };
  switch (command.type) {
    case 'SendCommand':
      if (state.status !== 'queued') return [];
      if (command.refusal) return [{ type: 'CommandRefused', data: { ...of, ...command.refusal } }];
      return [
        {
          type: 'CommandSent',
          data: {
            ...of,
            attempt: state.attempt + 1,
            channel: command.channel,
            payloadBytes: command.payloadBytes,
            airtimeMs: command.airtimeMs,
          },
        },
      ];
    case 'RecordAnswer':
      return answered(state, command.answer, command.now, command.retryDelayMs);
    case 'GiveUpWaiting':
      if (state.status !== 'sent' && state.status !== 'delivered') return [];
      return retryOrFail(state, null, 'the device did not answer', command.now, command.retryDelayMs);
    case 'ExpireCommand':
      if (isFinished(state.status) || Date.parse(command.now) < Date.parse(state.request.expiresAt))
        return [];
      return [{ type: 'CommandExpired', data: { ...of, lastStatus: state.status } }];
    case 'CancelCommand':
      if (state.status === 'cancelled') return [];
      if (isFinished(state.status)) {
        throw new ConflictError(`command ${of.commandId} is already ${state.status}; it cannot be cancelled`);
      }
      return [{ type: 'CommandCancelled', data: { ...of, lastStatus: state.status } }];
    default:
      return assertNever(command);
  }
}

function answered(
  state: RequestedCommand,
  answer: DeviceAnswer,
  now: string,
  retryDelayMs: number,
): CommandEvent[] {
  // Answers to a command that is not out (late, duplicated, or after expiry) change nothing.
  if (state.status !== 'sent' && state.status !== 'delivered') return [];
  const of = { commandId: state.request.commandId, deviceId: state.request.deviceId };
  const delivered: CommandEvent[] = state.status === 'sent' ? [{ type: 'CommandDelivered', data: of }] : [];
  if (answer.status === 'received') return delivered;
  if (answer.status === 'succeeded') {
    const { request } = state;
    return [
      ...delivered,
      {
        type: 'CommandSucceeded',
        data: {
          ...of,
          operation: request.operation,
          path: request.path,
          code: answer.code ?? '2.00',
          values: answer.values,
          writtenValue: request.operation === 'write' ? request.value : null,
          configurationKey: request.configurationKey,
        },
      },
    ];
  }
  const reason = answer.reason ?? `the device answered ${answer.code ?? 'failed'}`;
  if (answer.code !== null && RETRIABLE_CODES.has(answer.code)) {
    return [...delivered, ...retryOrFail(state, answer.code, reason, now, retryDelayMs)];
  }
  return [
    ...delivered,
    { type: 'CommandFailed', data: { ...of, code: answer.code, reason, attempt: state.attempt } },
  ];
}

function retryOrFail(
  state: RequestedCommand,
  code: string | null,
  reason: string,
  now: string,
  retryDelayMs: number,
): CommandEvent[] {
  const of = { commandId: state.request.commandId, deviceId: state.request.deviceId };
  const notBefore = new Date(Date.parse(now) + retryDelayMs);
  if (
    state.attempt >= state.request.maxAttempts ||
    notBefore.getTime() >= Date.parse(state.request.expiresAt)
  ) {
    const why = `${reason}; gave up after ${state.attempt} attempt${state.attempt === 1 ? '' : 's'}`;
    return [{ type: 'CommandFailed', data: { ...of, code, reason: why, attempt: state.attempt } }];
  }
  return [
    {
      type: 'CommandRetryScheduled',
      data: { ...of, attempt: state.attempt + 1, notBefore: notBefore.toISOString(), reason },
    },
  ];
}

export const commandDecider = {
  decide: decideCommand,
  evolve: evolveCommand,
  initialState: initialCommandState,
};
