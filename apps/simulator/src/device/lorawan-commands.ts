import { ValidationError } from '@fleet/core';
import {
  decodeLorawanCommand,
  encodeLorawanAnswer,
  lorawanTagCommandId,
  operationDownlink,
  parseLorawanTagCommandId,
} from '@fleet/device-protocol';
import type { AckMessage } from './commands';
import type { DeviceModel } from './device-model';

/** An answer frame waiting for the device's next uplink (class A: it can only talk when it sends). */
export interface PendingAnswer {
  readonly frame: Buffer;
  readonly notification: boolean;
  /** The answer acknowledges Reboot: the device reboots once it has sent it. */
  readonly reboot: boolean;
}

/**
 * How a simulated LoRaWAN device answers a command frame: the model answers it as it would the
 * same `down/command` over MQTT (so both transports behave alike), and the answer goes into a
 * frame for the answer port. A request the frame carries but no command could (e.g. a write to
 * an object) is answered 4.00.
 * @throws UplinkRejectedError `malformed` for bytes that are not a command frame (the device drops them)
 */
export function answerLorawanCommand(model: DeviceModel, bytes: Uint8Array, now: number): PendingAnswer {
  const { tag, request } = decodeLorawanCommand(bytes);
  let command;
  try {
    command = operationDownlink(lorawanTagCommandId(tag), request, null);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return {
      frame: encodeLorawanAnswer(tag, 'failed', '4.00', [], { reason: error.message }),
      notification: false,
      reboot: false,
    };
  }
  // No expiry in the frame: the network server drops what it could not deliver in time.
  const answer = model.handleCommand(command, now)!;
  return { ...answerFrame(tag, answer.ack), reboot: answer.effect.kind === 'reboot' };
}

/** Notifications of the device's observations that are due, as frames (observations started over LoRaWAN only). */
export function dueLorawanNotifications(model: DeviceModel, now: number): PendingAnswer[] {
  return model.dueNotifications(now).flatMap((ack) => {
    const tag = parseLorawanTagCommandId(ack.id);
    return tag === null ? [] : [{ ...answerFrame(tag, ack), reboot: false }];
  });
}

function answerFrame(tag: number, ack: AckMessage): Omit<PendingAnswer, 'reboot'> {
  const notification = ack.observation !== undefined;
  const values = (ack.values ?? []).map(({ path, value }) => ({ path, value }));
  try {
    const frame = encodeLorawanAnswer(tag, ack.status, ack.code, values, {
      ...(ack.reason === undefined ? {} : { reason: ack.reason.slice(0, 100) }),
      notification,
    });
    return { frame, notification };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    // E.g. a read of a whole object whose values outgrow one frame.
    const reason = 'the answer does not fit one frame';
    return { frame: encodeLorawanAnswer(tag, 'failed', '5.00', [], { reason }), notification: false };
  }
}
