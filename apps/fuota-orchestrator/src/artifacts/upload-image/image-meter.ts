import { createHash } from 'node:crypto';
import type { ReceivedImage } from '../artifact';
import { imageMismatch } from '../artifact.decide';

/** Thrown out of the image stream to make storage drop the package; carries what was measured. */
export class ImageMismatchError extends Error {
  constructor(readonly received: ReceivedImage) {
    super(`image differs from its declaration (${received.size} bytes, SHA-256 ${received.sha256 ?? '?'})`);
    this.name = 'ImageMismatchError';
  }
}

/**
 * Passes an uploaded image through while measuring it against its declaration. It stops at the
 * first byte past the declared size (no reason to swallow a larger upload), and once the source
 * ends it fails when size or digest differ: the storage write it feeds then keeps nothing.
 */
export async function* meteredImage(
  source: AsyncIterable<Uint8Array>,
  declared: { readonly sha256: string; readonly size: number },
): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of source) {
    size += chunk.byteLength;
    if (size > declared.size) throw new ImageMismatchError({ sha256: null, size });
    hash.update(chunk);
    yield chunk;
  }
  const received = { sha256: hash.digest('hex'), size };
  if (imageMismatch(declared, received)) throw new ImageMismatchError(received);
}
