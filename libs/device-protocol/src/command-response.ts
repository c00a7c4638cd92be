import { z } from 'zod';
import { rejected } from './errors';
import { parsePayload } from './payload';
import { resolveSenmlPack, type ResolvedRecord } from './senml';
import { zodReason } from './zod-reason';

export const COMMAND_STATUSES = ['received', 'succeeded', 'failed'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

/** `up/ack`, validated; absent optional fields are null, `values` resolved like any SenML pack. */
export interface CommandResponse {
  readonly id: string;
  readonly status: CommandStatus;
  /** CoAP-style response code LwM2M uses, e.g. `2.05`; null only for `received`. */
  readonly code: string | null;
  readonly reason: string | null;
  readonly values: ResolvedRecord[];
  /** Token of the observation this response notifies, if it is a notification. */
  readonly observation: string | null;
}

/** CoAP response codes: class 2 success, 4 client error, 5 server error (RFC 7252 §12.1.2). */
const RESPONSE_CODE = /^[245]\.[0-3][0-9]$/;

const commandResponseSchema = z
  .object({
    id: z.string().min(1).max(128),
    status: z.enum(COMMAND_STATUSES),
    code: z.string().regex(RESPONSE_CODE, 'must be a CoAP response code such as 2.05').optional(),
    reason: z.string().max(500).optional(),
    values: z.array(z.unknown()).max(500).optional(),
    observation: z.string().min(1).max(128).optional(),
  })
  .superRefine(({ status, code, values }, context) => {
    const expected = status === 'succeeded' ? '2' : status === 'failed' ? '4 or 5' : undefined;
    if (expected && code === undefined)
      context.addIssue({ code: 'custom', path: ['code'], message: `required when status is ${status}` });
    if (expected && code !== undefined && !expected.includes(code.charAt(0))) {
      context.addIssue({
        code: 'custom',
        path: ['code'],
        message: `${code} does not fit status ${status} (expected class ${expected})`,
      });
    }
    if (values !== undefined && status !== 'succeeded') {
      context.addIssue({
        code: 'custom',
        path: ['values'],
        message: `only a succeeded command returns values`,
      });
    }
  });

/**
 * Decodes `up/ack` (JSON, or CBOR with text keys). Relative times in `values` are taken relative to
 * `now` (epoch milliseconds). Values are not checked against the registry: a read may return any
 * LwM2M resource.
 * @throws UplinkRejectedError
 */
export function decodeCommandResponse(
  payload: Uint8Array,
  options: { now: number; contentType?: string },
): CommandResponse {
  const { format, data } = parsePayload(payload, options.contentType);
  const parsed = commandResponseSchema.safeParse(data);
  if (!parsed.success) throw rejected('malformed', `invalid command response: ${zodReason(parsed.error)}`);
  const { id, status, code, reason, values, observation } = parsed.data;
  return {
    id,
    status,
    code: code ?? null,
    reason: reason ?? null,
    values: values === undefined ? [] : resolveSenmlPack(values, { now: options.now, format }),
    observation: observation ?? null,
  };
}
