/** Parsers of command-line values; they throw an Error whose message is meant for the user. */

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * An ISO 8601 time as the API expects it, normalised to UTC (`2025-03-01T11:00:00.000Z`). A bare
 * date means midnight UTC; a date-time needs a zone (`Z`, `+01:00`) so that nobody gets the wrong
 * hour because their shell runs in another time zone.
 */
export function parseIsoTime(value: string): string {
  const text = value.trim();
  const example = 'e.g. 2025-03-01 or 2025-03-01T12:00:00Z';
  if (!ISO_DATE.test(text) && !ISO_DATE_TIME.test(text)) {
    throw new Error(`"${value}" is not an ISO 8601 time (${example})`);
  }
  if (ISO_DATE_TIME.test(text) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(text)) {
    throw new Error(`"${value}" has no time zone; add Z for UTC or an offset such as +01:00`);
  }
  const millis = Date.parse(text);
  // Date.parse accepts 2025-02-30 by rolling over; round-tripping the date part catches that.
  if (Number.isNaN(millis) || !sameCalendarDate(text, millis)) {
    throw new Error(`"${value}" is not a valid date or time (${example})`);
  }
  return new Date(millis).toISOString();
}

function sameCalendarDate(text: string, millis: number): boolean {
  const zone = /(Z|[+-]\d{2}:?\d{2})$/i.exec(text)?.[0];
  const offsetMinutes = zone === undefined || /^z$/i.test(zone) ? 0 : zoneMinutes(zone);
  const local = new Date(millis + offsetMinutes * 60_000).toISOString();
  return local.slice(0, 10) === text.slice(0, 10);
}

function zoneMinutes(zone: string): number {
  const digits = zone.replace(':', '');
  const sign = digits.startsWith('-') ? -1 : 1;
  return sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
}

/** A whole number at least `min` (default 1), e.g. `--limit` or `--version`. */
export function parseInteger(value: string, min = 1): number {
  if (!/^\d+$/.test(value.trim())) throw new Error(`"${value}" is not a whole number`);
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < min) throw new Error(`"${value}" must be at least ${min}`);
  return number;
}

/** A percentage 0-100, e.g. `--battery-below 20`. */
export function parsePercent(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > 100) {
    throw new Error(`"${value}" is not a percentage between 0 and 100`);
  }
  return number;
}
