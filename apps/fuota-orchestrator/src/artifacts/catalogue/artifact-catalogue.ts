import { IllegalStateError, NotFoundError } from '@fleet/core';
import { Inject, Injectable } from '@nestjs/common';
import { storageKeyOf, type ArtifactView } from '../artifact-view';
import { isArtifactId } from '../artifact-request';
import { DownloadTokens } from '../download/download-tokens';
import { ArtifactTable } from '../read-model/artifact-table';
import { ARTIFACT_SETTINGS, type ArtifactSettings } from '../settings/artifact-settings';
import { ARTIFACT_STORAGE, type ArtifactStorage } from '../storage/artifact-storage.port';

/**
 * What other features (campaigns, LoRaWAN multicast) need of firmware artifacts: their metadata,
 * a download link for one device, and the signed package itself.
 */
@Injectable()
export class ArtifactCatalogue {
  constructor(
    private readonly table: ArtifactTable,
    private readonly tokens: DownloadTokens,
    @Inject(ARTIFACT_STORAGE) private readonly storage: ArtifactStorage,
    @Inject(ARTIFACT_SETTINGS) private readonly settings: ArtifactSettings,
  ) {}

  /** The artifact in any status (check `status === 'published'`), or undefined. */
  async get(artifactId: string): Promise<ArtifactView | undefined> {
    return isArtifactId(artifactId) ? this.table.find(artifactId) : undefined;
  }

  /**
   * Absolute URL of the signed package for one device, carrying a download token valid for
   * FUOTA_DOWNLOAD_TOKEN_TTL_SECONDS from `now`: what an LwM2M Package URI (/5/0/1) is written to.
   * @throws NotFoundError (no such artifact), IllegalStateError (not published)
   */
  async packageUriFor(artifactId: string, deviceId: string, now: Date = new Date()): Promise<string> {
    return (await this.downloadLink(artifactId, deviceId, now)).url;
  }

  /** {@link packageUriFor} with the token's expiry. */
  async downloadLink(
    artifactId: string,
    deviceId: string,
    now: Date = new Date(),
  ): Promise<{ url: string; expiresAt: string }> {
    await this.published(artifactId);
    const { token, expiresAt } = await this.tokens.issue(artifactId, deviceId, now);
    const url = `${this.settings.publicBaseUrl}/firmware/${artifactId}/package?token=${token}`;
    return { url, expiresAt };
  }

  /**
   * The whole signed package (header + image) in memory: for LoRaWAN multicast data blocks,
   * which are small. HTTP downloads stream instead.
   * @throws NotFoundError, IllegalStateError (not published)
   */
  async readPackage(artifactId: string): Promise<Buffer> {
    const view = await this.published(artifactId);
    const chunks: Buffer[] = [];
    for await (const chunk of await this.storage.read(storageKeyOf(artifactId))) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    if (view.packageSize !== null && bytes.length !== view.packageSize) {
      throw new IllegalStateError(
        `stored package of ${artifactId} is ${bytes.length} bytes, ${view.packageSize} were published`,
      );
    }
    return bytes;
  }

  private async published(artifactId: string): Promise<ArtifactView> {
    const view = await this.get(artifactId);
    if (!view) throw new NotFoundError(`artifact ${artifactId} does not exist`, { artifactId });
    if (view.status !== 'published') {
      throw new IllegalStateError(`artifact ${artifactId} is ${view.status}, not published`, {
        artifactId,
        status: view.status,
      });
    }
    return view;
  }
}
