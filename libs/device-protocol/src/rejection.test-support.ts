import { UplinkRejectedError } from './errors';

/** The UplinkRejectedError `action` throws; anything else thrown (or nothing) fails the test. */
export function rejectionOf(action: () => unknown): UplinkRejectedError {
  try {
    action();
  } catch (error) {
    if (error instanceof UplinkRejectedError) return error;
    throw error;
  }
  throw new Error('expected an UplinkRejectedError, but nothing was thrown');
}

export const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
