/**
 * PostgreSQL array literals built directly: node-pg escapes every element of an array parameter
 * character by character, which the telemetry hot path would pay for thousands of device ids per
 * batch. Ids made only of safe characters (UUIDs, `meter-17`) are quoted as they are; anything else
 * falls back to node-pg's escaping.
 */
const SAFE = /^[\w.:@/+-]+$/;

export function textArray(values: readonly string[]): string | readonly string[] {
  for (const v of values) if (!SAFE.test(v)) return values;
  return `{${values.map((v) => `"${v}"`).join(',')}}`;
}

export function numberArray(values: readonly (number | null)[]): string {
  return `{${values.map((v) => (v === null || !Number.isFinite(v) ? 'NULL' : String(v))).join(',')}}`;
}
