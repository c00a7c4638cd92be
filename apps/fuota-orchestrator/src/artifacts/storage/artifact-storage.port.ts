import type { Readable } from 'node:stream';

/** Bytes `start` to `end` of an object, both inclusive (as HTTP ranges count them). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Where signed firmware packages live: immutable objects under keys like
 * `packages/<artifactId>.fwp`. Large objects stream in and out; nothing is held in memory.
 * The filesystem adapter serves one machine or a shared volume; object storage (S3, GCS, Azure
 * Blob) fits the same port (multipart upload completed or aborted, ranged GET, HEAD, DELETE).
 */
export interface ArtifactStorage {
  /**
   * Stores everything `content` yields under `key`, atomically: readers see the previous object
   * (or none) until the whole new one is in place. When `content` throws, nothing is kept and the
   * same error is rethrown, which is how a caller refuses bytes it found wrong while they streamed.
   * @returns the number of bytes stored
   * @throws ValidationError for a key that is not `segment(/segment)*` of `[A-Za-z0-9._-]`
   */
  write(key: string, content: AsyncIterable<Uint8Array>): Promise<{ size: number }>;
  /**
   * Opens the object, or the bytes of `range` in it, for reading. The stream keeps reading the
   * object it opened even if the key is deleted or overwritten meanwhile.
   * @throws NotFoundError when there is no object under `key`
   * @throws ValidationError when `range` is not within the object
   */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** The object's size, or undefined when there is none. */
  stat(key: string): Promise<{ size: number } | undefined>;
  /** Removes the object; nothing happens when there is none. */
  delete(key: string): Promise<void>;
}

export const ARTIFACT_STORAGE = Symbol('ARTIFACT_STORAGE');
