/**
 * HTTP range requests (RFC 9110 §14) for package downloads: devices on slow or intermittent
 * links resume where they stopped, or fetch the header first. One range per request: a set of
 * ranges is answered with the whole package, which RFC 9110 allows (a server may ignore Range).
 */
export type RangeAnswer =
  /** 200 with the whole representation. */
  | { readonly kind: 'whole' }
  /** 206 with bytes start..end (inclusive). */
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  /** 416 with `Content-Range: bytes *\/size`. */
  | { readonly kind: 'unsatisfiable' };

const SINGLE_RANGE = /^(\d*)-(\d*)$/;

/**
 * What to answer to a `Range` header for a representation of `size` bytes. A header that is
 * absent, of another unit, malformed or holding several ranges is ignored (whole), as the RFC
 * says; a well-formed range starting past the end is unsatisfiable.
 */
export function answerRange(header: string | undefined, size: number): RangeAnswer {
  if (!header) return { kind: 'whole' };
  const match = /^\s*bytes\s*=\s*(.+?)\s*$/i.exec(header);
  if (!match || match[1]!.includes(',')) return { kind: 'whole' };
  const range = SINGLE_RANGE.exec(match[1]!);
  if (!range) return { kind: 'whole' };
  const [, first, last] = range;
  if (first === '' && last === '') return { kind: 'whole' };
  if (first === '') {
    // Suffix range: the last n bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? Number.MAX_SAFE_INTEGER : Number(last);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(end, size - 1) };
}

/**
 * `If-Range`: a client resuming with a validator it kept gets the rest only when the
 * representation is still the one it has (strong ETag comparison); otherwise the whole of it.
 * Dates are not used as validators here (packages are immutable; ETags are what we give out).
 */
export function rangeStillValid(ifRange: string | undefined, etag: string): boolean {
  if (ifRange === undefined) return true;
  return ifRange.trim() === etag;
}

/** The `Content-Range` of a partial answer, or of a 416 when `range` is omitted. */
export const contentRange = (size: number, range?: { start: number; end: number }): string =>
  range ? `bytes ${range.start}-${range.end}/${size}` : `bytes */${size}`;
