import { ConflictError } from '@fleet/core';
import {
  decideCommand,
  evolveCommand,
  initialCommandState,
  type CommandCommand,
  type CommandState,
} from './command';
import type { CommandEvent, CommandRequestedData } from './command-events';

const request: CommandRequestedData = {
  commandId: '0b9f3c1e-0000-4000-8000-000000000001',
  deviceId: 'dev-1',
  operation: 'read',
  path: '/3/0/9',
  value: null,
  arguments: null,
  attributes: null,
  instanceValues: null,
  origin: 'operator',
  jobId: null,
  configurationKey: null,
  expiresAt: '2026-12-02T12:00:00.000Z',
  maxAttempts: 2,
};
const NOW = '2026-12-02T10:00:00.000Z';

function given(...events: CommandEvent[]): CommandState {
  return events.reduce(evolveCommand, initialCommandState);
}
const requested = (data = request): CommandEvent => ({ type: 'CommandRequested', data });
const queued: CommandEvent = {
  type: 'CommandQueued',
  data: { commandId: request.commandId, deviceId: 'dev-1', delivery: 'immediate' },
};
const sent = (attempt = 1): CommandEvent => ({
  type: 'CommandSent',
  data: {
    commandId: request.commandId,
    deviceId: 'dev-1',
    attempt,
    channel: 'mqtt',
    payloadBytes: 60,
    airtimeMs: null,
  },
});
const send: CommandCommand = {
  type: 'SendCommand',
  channel: 'mqtt',
  payloadBytes: 60,
  airtimeMs: null,
  refusal: null,
};
const answer = (
  status: 'received' | 'succeeded' | 'failed',
  code: string | null,
  reason: string | null = null,
): CommandCommand => ({
  type: 'RecordAnswer',
  answer: {
    status,
    code,
    reason,
    values: status === 'succeeded' ? [{ path: '/3/0/9', value: 80, time: null }] : [],
  },
  now: NOW,
  retryDelayMs: 1000,
});
const types = (events: CommandEvent[]) => events.map((e) => e.type);

describe('command lifecycle', () => {
  it('given nothing, when requested without refusal, then it is requested and queued', () => {
    const events = decideCommand(
      { type: 'RequestCommand', request, refusal: null, delivery: 'on-wake' },
      initialCommandState,
    );
    expect(types(events)).toEqual(['CommandRequested', 'CommandQueued']);
    expect(given(...events)).toMatchObject({ status: 'queued', delivery: 'on-wake' });
  });

  it('given nothing, when a gate refuses, then the request and the refusal with its reason are recorded', () => {
    const refusal = {
      gate: 'firmware-update' as const,
      reason: 'reboot refused: a firmware update is in progress',
    };
    const events = decideCommand(
      { type: 'RequestCommand', request, refusal, delivery: 'immediate' },
      initialCommandState,
    );
    expect(types(events)).toEqual(['CommandRequested', 'CommandRefused']);
    expect(given(...events)).toMatchObject({
      status: 'refused',
      outcome: { gate: 'firmware-update', reason: refusal.reason },
    });
  });

  it('given a recorded request, when the same id is requested again, then nothing new is recorded', () => {
    expect(
      decideCommand(
        { type: 'RequestCommand', request, refusal: null, delivery: 'immediate' },
        given(requested(), queued),
      ),
    ).toEqual([]);
  });

  it('given a queued command, when sent, then attempt 1 is sent; a second send changes nothing', () => {
    const events = decideCommand(send, given(requested(), queued));
    expect(events).toEqual([sent(1)]);
    expect(decideCommand(send, given(requested(), queued, ...events))).toEqual([]);
  });

  it('given a queued command, when a gate refuses at dispatch, then it is refused', () => {
    const refusal = { gate: 'device-status' as const, reason: 'device dev-1 is suspended' };
    expect(types(decideCommand({ ...send, refusal }, given(requested(), queued)))).toEqual([
      'CommandRefused',
    ]);
  });

  it('given a sent command, when the device says received then succeeded, then delivered then succeeded with the values', () => {
    const state = given(requested(), queued, sent());
    const received = decideCommand(answer('received', null), state);
    expect(types(received)).toEqual(['CommandDelivered']);
    const succeeded = decideCommand(
      answer('succeeded', '2.05'),
      given(requested(), queued, sent(), ...received),
    );
    expect(types(succeeded)).toEqual(['CommandSucceeded']);
    expect(given(requested(), queued, sent(), ...received, ...succeeded)).toMatchObject({
      status: 'succeeded',
      outcome: { code: '2.05', values: [{ path: '/3/0/9', value: 80 }] },
    });
  });

  it('given a sent write of a configuration key, when it succeeds, then the event carries the key and the written value', () => {
    const write = {
      ...request,
      operation: 'write' as const,
      path: '/26241/0/2',
      value: 600,
      configurationKey: 'application.reportingIntervalSeconds',
    };
    const [delivered, succeeded] = decideCommand(
      answer('succeeded', '2.04'),
      given(requested(write), queued, sent()),
    );
    expect(delivered?.type).toBe('CommandDelivered');
    expect(succeeded).toMatchObject({
      type: 'CommandSucceeded',
      data: { writtenValue: 600, configurationKey: 'application.reportingIntervalSeconds' },
    });
  });

  it('given a sent command, when the device fails it with 4.05, then it fails with the reason and is not retried', () => {
    const events = decideCommand(
      answer('failed', '4.05', 'resource is read-only'),
      given(requested(), queued, sent()),
    );
    expect(types(events)).toEqual(['CommandDelivered', 'CommandFailed']);
    expect(events[1]).toMatchObject({ data: { code: '4.05', reason: 'resource is read-only' } });
  });

  it('given a sent command, when the device is busy (5.03), then a retry is scheduled after the backoff', () => {
    const events = decideCommand(answer('failed', '5.03', 'busy'), given(requested(), queued, sent()));
    expect(events[1]).toMatchObject({
      type: 'CommandRetryScheduled',
      data: { attempt: 2, notBefore: '2026-12-02T10:00:01.000Z' },
    });
    expect(given(requested(), queued, sent(), ...events)).toMatchObject({
      status: 'queued',
      notBefore: '2026-12-02T10:00:01.000Z',
    });
  });

  it('given the last attempt went unanswered, when we give up waiting, then it fails saying so', () => {
    const events = decideCommand(
      { type: 'GiveUpWaiting', now: NOW, retryDelayMs: 1000 },
      given(requested(), queued, sent(1), sent(2)),
    );
    expect(events).toMatchObject([
      { type: 'CommandFailed', data: { reason: 'the device did not answer; gave up after 2 attempts' } },
    ]);
  });

  it('given a retry would fall after the expiry, when we give up waiting, then it fails instead of retrying', () => {
    const events = decideCommand(
      { type: 'GiveUpWaiting', now: '2026-12-02T11:59:59.500Z', retryDelayMs: 1000 },
      given(requested(), queued, sent(1)),
    );
    expect(types(events)).toEqual(['CommandFailed']);
  });

  it('given a queued command, when its time-to-live passes, then it expires saying where it was; not before', () => {
    expect(
      decideCommand({ type: 'ExpireCommand', now: '2026-12-02T11:59:59.999Z' }, given(requested(), queued)),
    ).toEqual([]);
    expect(
      decideCommand({ type: 'ExpireCommand', now: '2026-12-02T12:00:00.000Z' }, given(requested(), queued)),
    ).toMatchObject([{ type: 'CommandExpired', data: { lastStatus: 'queued' } }]);
  });

  it('given a finished command, when an answer arrives late, then nothing changes', () => {
    const expired: CommandEvent = {
      type: 'CommandExpired',
      data: { commandId: request.commandId, deviceId: 'dev-1', lastStatus: 'sent' },
    };
    expect(decideCommand(answer('succeeded', '2.05'), given(requested(), queued, sent(), expired))).toEqual(
      [],
    );
  });

  it('given a succeeded command, when cancelled, then it is a conflict; a queued one is cancelled once', () => {
    const done = given(
      requested(),
      queued,
      sent(),
      ...decideCommand(answer('succeeded', '2.05'), given(requested(), queued, sent())),
    );
    expect(() => decideCommand({ type: 'CancelCommand' }, done)).toThrow(ConflictError);
    const cancelled = decideCommand({ type: 'CancelCommand' }, given(requested(), queued));
    expect(types(cancelled)).toEqual(['CommandCancelled']);
    expect(decideCommand({ type: 'CancelCommand' }, given(requested(), queued, ...cancelled))).toEqual([]);
  });
});
