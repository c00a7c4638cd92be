export * from './errors';
export * from './topics';
export * from './lwm2m-resources';
export * from './lwm2m-registry';
export { MAX_UPLINK_BYTES, payloadFormat, parsePayload, type PayloadFormat } from './payload';
export * from './senml';
export * from './telemetry';
export * from './command-response';
export * from './commands';
export * from './lorawan/airtime';
export {
  MAX_FRM_PAYLOAD_BYTES,
  MAX_NETWORK_SERVER_MESSAGE_BYTES,
  linkQualityOf,
  type NetworkServer,
  type NetworkServerUplink,
} from './lorawan/network-server-uplink';
export * from './lorawan/chirpstack';
export * from './lorawan/chirpstack-log';
export * from './lorawan/tts';
export * from './lorawan/downlinks';
export * from './lorawan/simulated-uplinks';
export * from './codecs/application-codec';
export * from './codecs/codec-registry';
export { fleetwiseCompactV1 } from './codecs/fleetwise-compact-v1';
export { senmlCborCodec } from './codecs/senml-cbor-codec';
export * from './codecs/decode-network-server-uplink';
export * from './operations';
export * from './lorawan/command-frame';
export * from './lorawan/answer-frame';
export * from './lorawan/regional-parameters';
