/** DI tokens of the shared infrastructure the platform module provides. */
export const PG_POOL = Symbol('PG_POOL');
export const KAFKA = Symbol('KAFKA');
export const AVRO_CODEC = Symbol('AVRO_CODEC');
export const PLATFORM_CONFIG = Symbol('PLATFORM_CONFIG');
export const SERVICE_NAME = Symbol('SERVICE_NAME');
export const MQTT_CONNECTION = Symbol('MQTT_CONNECTION');
