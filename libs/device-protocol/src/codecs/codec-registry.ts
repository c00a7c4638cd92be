import type { ApplicationCodec } from './application-codec';
import { fleetwiseCompactV1 } from './fleetwise-compact-v1';
import { senmlCborCodec } from './senml-cbor-codec';

export const APPLICATION_CODECS: readonly ApplicationCodec[] = [fleetwiseCompactV1, senmlCborCodec];

/** The codec of a device model: Fleetwise LoRa models (`FW-LORA…`) speak compact v1, the rest SenML CBOR. */
export function codecForModel(model: string): ApplicationCodec {
  return model.startsWith('FW-LORA') ? fleetwiseCompactV1 : senmlCborCodec;
}
