import type { z } from 'zod';

/**
 * A zod failure as one line a person can act on: `rxInfo.0.rssi: Invalid input: expected number,
 * received string; fPort: Too big: expected number to be <=223`. At most five issues: the first
 * ones are enough to fix the sender, and a hostile message must not produce a huge reason.
 */
export function zodReason(error: z.ZodError): string {
  const issues = error.issues.slice(0, 5).map((issue) => {
    const at = issue.path.map(String).join('.');
    // A bad record key says only "Invalid key in record"; what is wrong with it is nested.
    const message =
      issue.code === 'invalid_key'
        ? `invalid key: ${issue.issues.map((inner) => inner.message).join(', ')}`
        : issue.message;
    return at === '' ? message : `${at}: ${message}`;
  });
  const more = error.issues.length > 5 ? ` (and ${error.issues.length - 5} more)` : '';
  return issues.join('; ') + more;
}
