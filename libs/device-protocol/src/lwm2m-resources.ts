/** A resolved SenML value. */
export type ResourceValue = number | string | boolean;
export type ResourceType = 'number' | 'integer' | 'string' | 'boolean';
/** The `DeviceTelemetry` fields a resource fills directly. */
export type TelemetryField = 'batteryPercent' | 'rssi' | 'snr' | 'firmwareVersion';

/** What a resource value becomes in the `DeviceTelemetry` record. */
export type ResourceTarget =
  | { readonly kind: 'telemetry'; readonly field: TelemetryField }
  | { readonly kind: 'configuration'; readonly key: string }
  | { readonly kind: 'reading' };

export interface ResourceLimits {
  /** Numbers: inclusive value range; strings: inclusive length range. */
  readonly min?: number;
  readonly max?: number;
  /** Strings: the only values allowed. */
  readonly oneOf?: readonly string[];
  /** Strings: a shape the value must have (e.g. hexadecimal). */
  readonly format?: { readonly pattern: RegExp; readonly description: string };
  /** SenML unit; a record with another unit is refused, one without gets this one. */
  readonly unit?: string;
}

export interface ResourceDefinition extends ResourceLimits {
  /** `/object/instance/resource`; `*` as instance matches any instance (multi-instance objects). */
  readonly pattern: string;
  readonly name: string;
  readonly type: ResourceType;
  readonly becomes: ResourceTarget;
}

const reading: ResourceTarget = { kind: 'reading' };
const field = (name: TelemetryField): ResourceTarget => ({ kind: 'telemetry', field: name });
const config = (key: string): ResourceTarget => ({ kind: 'configuration', key });

function resource(
  pattern: string,
  name: string,
  type: ResourceType,
  becomes: ResourceTarget,
  limits: ResourceLimits = {},
): ResourceDefinition {
  return { pattern, name, type, becomes, ...limits };
}

/**
 * The resources Fleetwise understands (docs/device-protocol.md, "Known resources"). 26241 and
 * 26242 are Fleetwise's private objects; their limits follow what operators may set through the
 * configure-device request, loosened where a device may legitimately report otherwise.
 */
export const LWM2M_RESOURCES: readonly ResourceDefinition[] = [
  resource('/3/0/3', 'firmware version', 'string', field('firmwareVersion'), { min: 1, max: 64 }),
  resource('/3/0/7', 'power source voltage', 'number', reading, { min: 0, max: 100_000, unit: 'mV' }),
  resource('/3/0/9', 'battery level', 'number', field('batteryPercent'), { min: 0, max: 100, unit: '%' }),
  resource('/3/0/13', 'device current time', 'number', reading, { unit: 's' }),
  resource('/4/0/2', 'radio signal strength', 'number', field('rssi'), { min: -200, max: 0, unit: 'dBm' }),
  resource('/4/0/3', 'link quality', 'number', reading, { min: 0, max: 255 }),
  resource('/4/0/11', 'signal-to-noise ratio', 'number', field('snr'), { min: -50, max: 50, unit: 'dB' }),
  // State and result are enumerations in LwM2M, so fractions are refused.
  resource('/5/0/3', 'firmware update state', 'integer', reading, { min: 0, max: 3 }),
  resource('/5/0/5', 'firmware update result', 'integer', reading, { min: 0, max: 9 }),
  resource('/5/0/7', 'package name', 'string', reading, { max: 255 }),
  resource('/5/0/8', 'package version', 'string', reading, { max: 255 }),
  resource('/6/0/0', 'latitude', 'number', reading, { min: -90, max: 90, unit: 'lat' }),
  resource('/6/0/1', 'longitude', 'number', reading, { min: -180, max: 180, unit: 'lon' }),
  resource('/3303/*/5700', 'temperature', 'number', reading, { min: -273.15, max: 1000, unit: 'Cel' }),
  resource('/3304/*/5700', 'humidity', 'number', reading, { min: 0, max: 100, unit: '%RH' }),
  resource('/3316/*/5700', 'voltage', 'number', reading, { unit: 'V' }),
  resource('/3328/*/5700', 'power', 'number', reading, { unit: 'W' }),
  resource('/3331/*/5805', 'cumulative energy', 'number', reading, { min: 0, unit: 'Wh' }),
  resource('/26241/0/0', 'logical name', 'string', config('application.logicalName'), { min: 1, max: 64 }),
  resource('/26241/0/1', 'destination', 'string', config('application.destination'), { min: 1, max: 256 }),
  // Operators may not set less than 10 s, but that is policy: a device reporting 5 s is a fact.
  resource('/26241/0/2', 'reporting interval', 'integer', config('application.reportingIntervalSeconds'), {
    min: 1,
    max: 604_800,
    unit: 's',
  }),
  resource('/26241/0/3', 'wake-up mode', 'string', config('application.wakeUp'), {
    oneOf: ['always-on', 'periodic', 'on-event'],
  }),
  resource('/26242/0/0', 'sub-band', 'integer', config('radio.subBand'), { min: 1, max: 8 }),
  resource('/26242/0/1', 'channel mask', 'string', config('radio.channelMask'), {
    format: { pattern: /^[0-9A-Fa-f]{4,24}$/, description: '4 to 24 hexadecimal digits' },
  }),
  // DR is a 4-bit field in LoRaWAN MAC commands.
  resource('/26242/0/2', 'data rate', 'integer', config('radio.dataRate'), { min: 0, max: 15 }),
  resource('/26242/0/3', 'ADR', 'boolean', config('radio.adr')),
  // EIRP may be fractional (14.5 dBm); 36 dBm is the highest EIRP any LoRaWAN region allows.
  resource('/26242/0/4', 'TX power', 'number', config('radio.txPowerDbm'), {
    min: -20,
    max: 36,
    unit: 'dBm',
  }),
];
