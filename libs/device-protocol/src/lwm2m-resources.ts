/** A resolved SenML value. */
export type ResourceValue = number | string | boolean;
/** `none`: an executable resource, which has no value (LwM2M's type for Execute-only resources). */
export type ResourceType = 'number' | 'integer' | 'string' | 'boolean' | 'none';
/**
 * The LwM2M operations a resource allows (the "Operations" column of the OMA object definitions):
 * `R` read (and observe), `W` write, `RW` both, `E` execute.
 */
export type ResourceOperations = 'R' | 'W' | 'RW' | 'E';
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
  readonly operations: ResourceOperations;
  /** What a reported value becomes; executable resources are never reported, so theirs is moot. */
  readonly becomes: ResourceTarget;
}

const reading: ResourceTarget = { kind: 'reading' };
const field = (name: TelemetryField): ResourceTarget => ({ kind: 'telemetry', field: name });
const config = (key: string): ResourceTarget => ({ kind: 'configuration', key });

function resource(
  pattern: string,
  name: string,
  type: Exclude<ResourceType, 'none'>,
  operations: Exclude<ResourceOperations, 'E'>,
  becomes: ResourceTarget,
  limits: ResourceLimits = {},
): ResourceDefinition {
  return { pattern, name, type, operations, becomes, ...limits };
}

/** An Execute-only resource: no value, never in an uplink. */
function executable(pattern: string, name: string): ResourceDefinition {
  return { pattern, name, type: 'none', operations: 'E', becomes: reading };
}

/** LwM2M Integer resources: Fleetwise bounds them to int32 so they fit every encoding it uses. */
const INT32_MAX = 2_147_483_647;

/**
 * The resources Fleetwise understands (docs/device-protocol.md, "Known resources"), with the
 * operations the OMA object definitions give them. 26241 and 26242 are Fleetwise's private
 * objects; their limits follow what operators may set through the configure-device request,
 * loosened where a device may legitimately report otherwise.
 */
export const LWM2M_RESOURCES: readonly ResourceDefinition[] = [
  // LwM2M Server (1): registration timing; Fleetwise is the device's one server, instance 0.
  resource('/1/0/1', 'lifetime', 'integer', 'RW', reading, { min: 1, max: INT32_MAX, unit: 's' }),
  resource('/1/0/2', 'default minimum period', 'integer', 'RW', reading, {
    min: 0,
    max: INT32_MAX,
    unit: 's',
  }),
  resource('/1/0/3', 'default maximum period', 'integer', 'RW', reading, {
    min: 0,
    max: INT32_MAX,
    unit: 's',
  }),
  executable('/1/0/8', 'registration update trigger'),
  // Device (3)
  resource('/3/0/0', 'manufacturer', 'string', 'R', reading, { max: 255 }),
  resource('/3/0/1', 'model number', 'string', 'R', reading, { max: 255 }),
  resource('/3/0/2', 'serial number', 'string', 'R', reading, { max: 255 }),
  resource('/3/0/3', 'firmware version', 'string', 'R', field('firmwareVersion'), { min: 1, max: 64 }),
  executable('/3/0/4', 'reboot'),
  executable('/3/0/5', 'factory reset'),
  resource('/3/0/7', 'power source voltage', 'number', 'R', reading, { min: 0, max: 100_000, unit: 'mV' }),
  resource('/3/0/9', 'battery level', 'number', 'R', field('batteryPercent'), {
    min: 0,
    max: 100,
    unit: '%',
  }),
  // LwM2M lets a server set the device's clock.
  resource('/3/0/13', 'device current time', 'number', 'RW', reading, { unit: 's' }),
  // Connectivity Monitoring (4)
  resource('/4/0/2', 'radio signal strength', 'number', 'R', field('rssi'), {
    min: -200,
    max: 0,
    unit: 'dBm',
  }),
  resource('/4/0/3', 'link quality', 'number', 'R', reading, { min: 0, max: 255 }),
  resource('/4/0/11', 'signal-to-noise ratio', 'number', 'R', field('snr'), {
    min: -50,
    max: 50,
    unit: 'dB',
  }),
  // Firmware Update (5). Writing an empty Package URI cancels a download (LwM2M 1.1 §E.6).
  resource('/5/0/1', 'package URI', 'string', 'RW', reading, {
    max: 255,
    format: {
      pattern: /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/[\x21-\x7E]+)?$/,
      description: 'an absolute URI such as coaps://host/firmware.bin (or empty, to cancel)',
    },
  }),
  executable('/5/0/2', 'update'),
  // State and result are enumerations in LwM2M, so fractions are refused.
  resource('/5/0/3', 'firmware update state', 'integer', 'R', reading, { min: 0, max: 3 }),
  resource('/5/0/5', 'firmware update result', 'integer', 'R', reading, { min: 0, max: 9 }),
  resource('/5/0/7', 'package name', 'string', 'R', reading, { max: 255 }),
  resource('/5/0/8', 'package version', 'string', 'R', reading, { max: 255 }),
  // Location (6)
  resource('/6/0/0', 'latitude', 'number', 'R', reading, { min: -90, max: 90, unit: 'lat' }),
  resource('/6/0/1', 'longitude', 'number', 'R', reading, { min: -180, max: 180, unit: 'lon' }),
  // IPSO sensors: multi-instance objects
  resource('/3303/*/5700', 'temperature', 'number', 'R', reading, { min: -273.15, max: 1000, unit: 'Cel' }),
  resource('/3304/*/5700', 'humidity', 'number', 'R', reading, { min: 0, max: 100, unit: '%RH' }),
  resource('/3316/*/5700', 'voltage', 'number', 'R', reading, { unit: 'V' }),
  resource('/3328/*/5700', 'power', 'number', 'R', reading, { unit: 'W' }),
  resource('/3331/*/5805', 'cumulative energy', 'number', 'R', reading, { min: 0, unit: 'Wh' }),
  // Fleetwise application (26241) and LoRaWAN radio (26242) configuration
  resource('/26241/0/0', 'logical name', 'string', 'RW', config('application.logicalName'), {
    min: 1,
    max: 64,
  }),
  resource('/26241/0/1', 'destination', 'string', 'RW', config('application.destination'), {
    min: 1,
    max: 256,
  }),
  // Operators may not set less than 10 s, but that is policy: a device reporting 5 s is a fact.
  resource(
    '/26241/0/2',
    'reporting interval',
    'integer',
    'RW',
    config('application.reportingIntervalSeconds'),
    {
      min: 1,
      max: 604_800,
      unit: 's',
    },
  ),
  resource('/26241/0/3', 'wake-up mode', 'string', 'RW', config('application.wakeUp'), {
    oneOf: ['always-on', 'periodic', 'on-event'],
  }),
  resource('/26242/0/0', 'sub-band', 'integer', 'RW', config('radio.subBand'), { min: 1, max: 8 }),
  resource('/26242/0/1', 'channel mask', 'string', 'RW', config('radio.channelMask'), {
    format: { pattern: /^[0-9A-Fa-f]{4,24}$/, description: '4 to 24 hexadecimal digits' },
  }),
  // DR is a 4-bit field in LoRaWAN MAC commands.
  resource('/26242/0/2', 'data rate', 'integer', 'RW', config('radio.dataRate'), { min: 0, max: 15 }),
  resource('/26242/0/3', 'ADR', 'boolean', 'RW', config('radio.adr')),
  // EIRP may be fractional (14.5 dBm); 36 dBm is the highest EIRP any LoRaWAN region allows.
  resource('/26242/0/4', 'TX power', 'number', 'RW', config('radio.txPowerDbm'), {
    min: -20,
    max: 36,
    unit: 'dBm',
  }),
];
