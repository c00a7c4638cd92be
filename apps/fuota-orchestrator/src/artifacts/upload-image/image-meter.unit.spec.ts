import { createHash, randomBytes } from 'node:crypto';
import { ImageMismatchError, meteredImage } from './image-meter';

async function* chunks(bytes: Buffer, size = 1000): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function drain(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

const image = randomBytes(10_000);
const declared = { sha256: createHash('sha256').update(image).digest('hex'), size: image.length };

describe('meteredImage', () => {
  it('passes the declared image through unchanged', async () => {
    expect((await drain(meteredImage(chunks(image), declared))).equals(image)).toBe(true);
  });

  it('fails at the end when the digest differs, with what it measured', async () => {
    const tampered = Buffer.from(image);
    tampered[5000]! ^= 0xff;
    const error = await drain(meteredImage(chunks(tampered), declared)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageMismatchError);
    expect((error as ImageMismatchError).received).toEqual({
      sha256: createHash('sha256').update(tampered).digest('hex'),
      size: image.length,
    });
  });

  it('fails when the image is shorter than declared', async () => {
    const error = await drain(meteredImage(chunks(image.subarray(1)), declared)).catch((e: unknown) => e);
    expect((error as ImageMismatchError).received.size).toBe(image.length - 1);
  });

  it('stops reading at the first chunk past the declared size', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        pulled++;
        yield Buffer.alloc(4000);
      }
    }
    const error = await drain(meteredImage(endless(), declared)).catch((e: unknown) => e);
    expect((error as ImageMismatchError).received).toEqual({ sha256: null, size: 12_000 });
    expect(pulled).toBe(3);
  });
});
