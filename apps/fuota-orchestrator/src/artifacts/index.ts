/** What other features of fuota-orchestrator use of firmware artifacts. */
export { ArtifactsModule } from './artifacts.module';
export { ArtifactCatalogue } from './catalogue/artifact-catalogue';
export type { ArtifactView } from './artifact-view';
export type { ArtifactStatus } from './artifact';
export { artifactKeys, type ArtifactConfig } from './artifact-config';
