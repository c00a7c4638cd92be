import { ValidationError } from '@fleet/core';
import type { CommandResponse, CommandStatus } from '../command-response';
import type { ScalarValue } from '../operations';
import { MAX_FRM_PAYLOAD_BYTES } from './network-server-uplink';
import { checkTag, FrameReader, FrameWriter } from './frame-fields';

/** fPort of answer frames (device → platform), on every model, whatever its codec. */
export const LORAWAN_ANSWER_FPORT = 11;

const STATUS_CODES: Record<CommandStatus, number> = { received: 0, succeeded: 1, failed: 2 };
const STATUS_OF: readonly CommandStatus[] = ['received', 'succeeded', 'failed'];
/** Bit 7 of the status byte: the frame is a notification of the observation the tag started. */
const NOTIFICATION = 0x80;
const FRAME = 'LoRaWAN answer frame';
const TAG_ID = /^lorawan-tag:(0|[1-9][0-9]{0,4})$/;

/** One value of a read result or notification. */
export interface LorawanValue {
  readonly path: string;
  readonly value: ScalarValue;
}

export interface LorawanAnswer {
  readonly tag: number;
  readonly status: CommandStatus;
  /** CoAP-style code (`2.05`); null for `received`. */
  readonly code: string | null;
  readonly reason: string | null;
  readonly values: readonly LorawanValue[];
  readonly notification: boolean;
}

/**
 * The answer frame a LoRaWAN device sends on {@link LORAWAN_ANSWER_FPORT} with its next uplink
 * (docs/device-protocol.md, "LoRaWAN commands"): status byte (bit 7: notification), tag (uint16),
 * CoAP code byte (class × 32 + detail, 0 for `received`), then for `failed` the reason (length
 * byte + UTF-8) and for `succeeded` the values (count byte, then path and typed value each).
 * @throws ValidationError for a tag, code or value that does not fit, or a frame over 242 bytes
 */
export function encodeLorawanAnswer(
  tag: number,
  status: CommandStatus,
  code: string | null,
  values: readonly LorawanValue[] = [],
  options: { readonly reason?: string; readonly notification?: boolean } = {},
): Buffer {
  checkTag(tag);
  if (options.notification && status !== 'succeeded')
    throw new ValidationError('only a succeeded answer can be a notification');
  if (values.length > 0 && status !== 'succeeded')
    throw new ValidationError('only a succeeded command returns values');
  if (values.length > 255)
    throw new ValidationError(`${values.length} values exceed the 255 a frame carries`);
  const frame = new FrameWriter()
    .u8(STATUS_CODES[status] | (options.notification ? NOTIFICATION : 0))
    .u16(tag)
    .u8(codeByte(status, code));
  if (status === 'failed') frame.shortBytes('reason', Buffer.from(options.reason ?? '', 'utf8'));
  if (status === 'succeeded') {
    frame.u8(values.length);
    for (const { path, value } of values) frame.path(path).value(path, value);
  }
  const bytes = frame.bytes();
  if (bytes.length > MAX_FRM_PAYLOAD_BYTES)
    throw new ValidationError(
      `the answer frame needs ${bytes.length} bytes; no data rate carries more than ${MAX_FRM_PAYLOAD_BYTES}`,
    );
  return bytes;
}

/** @throws UplinkRejectedError `malformed` */
export function decodeLorawanAnswer(bytes: Uint8Array): LorawanAnswer {
  const frame = new FrameReader(bytes, FRAME);
  const statusByte = frame.u8('status');
  const status = STATUS_OF[statusByte & 0x7f];
  if (status === undefined) throw frame.malformed(`unknown status ${statusByte & 0x7f}`);
  const notification = (statusByte & NOTIFICATION) !== 0;
  if (notification && status !== 'succeeded')
    throw frame.malformed(`a ${status} answer cannot be a notification`);
  const tag = frame.u16('tag');
  const code = codeOf(frame, status, frame.u8('code'));
  let reason: string | null = null;
  const values: LorawanValue[] = [];
  if (status === 'failed') reason = frame.shortText('reason') || null;
  if (status === 'succeeded') {
    const count = frame.u8('value count');
    for (let i = 0; i < count; i++) {
      const path = frame.path(`value ${i + 1} path`, { min: 3, max: 4 });
      values.push({ path, value: frame.value(path) });
    }
  }
  frame.end();
  return { tag, status, code, reason, values, notification };
}

/** The command id ingestion gives a LoRaWAN answer: the dispatcher maps the tag back to its command. */
export function lorawanTagCommandId(tag: number): string {
  return `lorawan-tag:${tag}`;
}

/** The tag of a `lorawan-tag:<tag>` command id; null for any other id. */
export function parseLorawanTagCommandId(commandId: string): number | null {
  const match = TAG_ID.exec(commandId);
  const tag = match ? Number(match[1]) : NaN;
  return tag <= 0xffff ? tag : null;
}

/**
 * The answer as the `up/ack` command response it stands for: id `lorawan-tag:<tag>`, the
 * observation the same id for a notification, values untimed (the frame carries no time).
 */
export function lorawanAnswerResponse(answer: LorawanAnswer): CommandResponse {
  const id = lorawanTagCommandId(answer.tag);
  return {
    id,
    status: answer.status,
    code: answer.code,
    reason: answer.reason,
    values: answer.values.map(({ path, value }) => ({ path, value, timeMs: null, unit: null })),
    observation: answer.notification ? id : null,
  };
}

/** `2.05` → class 2 × 32 + 5 (CoAP's own code byte, RFC 7252 §3). */
function codeByte(status: CommandStatus, code: string | null): number {
  if (status === 'received') {
    if (code !== null) throw new ValidationError('a received answer has no code');
    return 0;
  }
  const [, codeClass, detail] = /^([245])\.([0-9]{2})$/.exec(code ?? '') ?? [];
  const expected = status === 'succeeded' ? '2' : '45';
  if (codeClass === undefined || detail === undefined || Number(detail) > 31 || !expected.includes(codeClass))
    throw new ValidationError(`code ${code} does not fit status ${status}`);
  return Number(codeClass) * 32 + Number(detail);
}

function codeOf(frame: FrameReader, status: CommandStatus, byte: number): string | null {
  if (status === 'received') {
    if (byte !== 0) throw frame.malformed('a received answer has code 0');
    return null;
  }
  const codeClass = byte >> 5;
  const expected = status === 'succeeded' ? [2] : [4, 5];
  if (!expected.includes(codeClass))
    throw frame.malformed(`code class ${codeClass} does not fit status ${status}`);
  return `${codeClass}.${String(byte & 0x1f).padStart(2, '0')}`;
}
