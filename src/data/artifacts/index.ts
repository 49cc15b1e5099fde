export {
  ArtifactNotFoundError,
  assertArtifactHash,
  type ArtifactRef,
  type ArtifactStore,
  type ArtifactWriter,
} from './artifactStore.js';
export { LocalArtifactStore } from './localArtifactStore.js';
