import type { ResolvedRecord, SenmlRecordInput } from '../senml';

/**
 * Decodes (and, for the simulator, encodes) the FRMPayload of one device model's LoRaWAN frames
 * into the same resolved SenML records devices on MQTT send, so ingestion has one mapping.
 */
export interface ApplicationCodec {
  readonly name: string;
  /**
   * @param now epoch milliseconds that relative SenML times refer to (the uplink's reception)
   * @throws UplinkRejectedError for an unknown fPort or a payload of the wrong size or content
   */
  decode(fPort: number, bytes: Uint8Array, now: number): ResolvedRecord[];
  /** @throws ValidationError when the records cannot be expressed in this codec */
  encode(records: readonly SenmlRecordInput[]): { fPort: number; bytes: Buffer };
}
