import { FleetError } from '@fleet/core';

/**
 * Why an uplink was refused; stable, so dead-letter dashboards and alerts can group on it.
 * - `malformed`: not decodable, or not the shape the protocol prescribes
 * - `unknown-path`: a resource the registry does not know
 * - `wrong-type`: a known resource with a value of another type (or a non-integer for an integer)
 * - `wrong-unit`: a known resource reported in another unit than the registry's
 * - `out-of-range`: a value outside the resource's range, length or allowed values
 * - `too-large`: the payload exceeds the protocol's size limit
 */
export type UplinkRejectionCode =
  'malformed' | 'unknown-path' | 'wrong-type' | 'wrong-unit' | 'out-of-range' | 'too-large';

/**
 * A device (or network server) sent something the protocol refuses. Never retried: the same bytes
 * are refused again, so ingestion dead-letters them with `reason`, which is written for the person
 * reading the dead letter (`/3/0/9: 140 is above the maximum 100`).
 */
export class UplinkRejectedError extends FleetError {
  constructor(
    readonly code: UplinkRejectionCode,
    readonly reason: string,
  ) {
    super(reason, { code, reason });
  }
}

/** Shorthand that reads well at the call site: `throw rejected('malformed', '...')`. */
export function rejected(code: UplinkRejectionCode, reason: string): UplinkRejectedError {
  return new UplinkRejectedError(code, reason);
}

/** Quotes a device-supplied string for a reason, cut short so a hostile value cannot flood logs. */
export function quote(text: string, max = 40): string {
  const shown = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(shown);
}
