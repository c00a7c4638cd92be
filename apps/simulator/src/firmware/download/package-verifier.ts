import { createHash, type Hash } from 'node:crypto';
import {
  decodePackageHeader,
  MAX_PACKAGE_HEADER_BYTES,
  updateResultOf,
  verifyFirmwareSignature,
  type PackageHeader,
  type PackageRefusal,
  type TrustedKey,
} from '@fleet/firmware';
import { UpdateResult, type DownloadFailure } from '../../device/firmware-update';

/** Why a download stops before its end: an LwM2M Update Result and a reason. */
export class DownloadRefusedError extends Error {
  constructor(
    readonly result: DownloadFailure,
    reason: string,
  ) {
    super(reason);
  }
}

export type VerifiedPackage =
  | { readonly ok: true; readonly header: PackageHeader }
  | { readonly ok: false; readonly result: DownloadFailure; readonly reason: string };

/**
 * Checks a package as its bytes arrive, the way a constrained device does (`verifyFirmwarePackage`
 * of @fleet/firmware needs it whole): the header from the first bytes, then a running SHA-256 of
 * the image; the signature covers digest, size and version, so nothing else is kept in memory.
 */
export class PackageVerifier {
  private prefix = Buffer.alloc(0);
  private header?: PackageHeader;
  private readonly hash: Hash = createHash('sha256');
  private imageBytes = 0;

  constructor(private readonly maxPackageBytes: number) {}

  /** @throws DownloadRefusedError as soon as the bytes cannot be a package this device takes */
  update(chunk: Buffer): void {
    if (this.header) return this.hashImage(chunk);
    this.prefix = Buffer.concat([this.prefix, chunk]);
    let decoded: ReturnType<typeof decodePackageHeader>;
    try {
      decoded = decodePackageHeader(this.prefix);
    } catch (error) {
      throw new DownloadRefusedError(UpdateResult.UnsupportedPackage, (error as Error).message);
    }
    if (!decoded) {
      if (this.prefix.length > MAX_PACKAGE_HEADER_BYTES) {
        throw new DownloadRefusedError(UpdateResult.UnsupportedPackage, 'not a firmware package (no header)');
      }
      return;
    }
    const { header, length } = decoded;
    if (length + header.size > this.maxPackageBytes) {
      throw new DownloadRefusedError(
        UpdateResult.NotEnoughFlash,
        `the package needs ${length + header.size} bytes, the device has room for ${this.maxPackageBytes}`,
      );
    }
    this.header = header;
    const rest = this.prefix.subarray(length);
    this.prefix = Buffer.alloc(0);
    this.hashImage(rest);
  }

  /** Once every byte is in: digest, then signature by a trusted key (Update Result 5 or 6 if not). */
  finish(trustedKeys: readonly TrustedKey[]): VerifiedPackage {
    const { header } = this;
    if (!header) return refused('truncated', 'the package header is incomplete');
    if (this.imageBytes !== header.size) {
      return refused('truncated', `image is ${this.imageBytes} bytes, the header says ${header.size}`);
    }
    const actual = this.hash.digest('hex');
    if (actual !== header.sha256) {
      return refused('hash-mismatch', `SHA-256 ${actual} differs from ${header.sha256}`);
    }
    const key = trustedKeys.find((k) => k.keyId === header.keyId && k.algorithm === header.algorithm);
    if (!key) return refused('unknown-key', `no trusted ${header.algorithm} key ${header.keyId}`);
    if (!verifyFirmwareSignature(header, header.signature, key.publicKey, header.algorithm)) {
      return refused('bad-signature', `signature does not verify with key ${header.keyId}`);
    }
    return { ok: true, header };
  }

  private hashImage(bytes: Buffer): void {
    if (this.imageBytes + bytes.length > this.header!.size) {
      throw new DownloadRefusedError(
        UpdateResult.IntegrityFailure,
        `more bytes than the ${this.header!.size} the header announces`,
      );
    }
    this.imageBytes += bytes.length;
    this.hash.update(bytes);
  }
}

function refused(refusal: PackageRefusal, reason: string): Extract<VerifiedPackage, { ok: false }> {
  return { ok: false, result: updateResultOf(refusal) as DownloadFailure, reason };
}
