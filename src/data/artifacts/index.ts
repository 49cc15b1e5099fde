export {
  ArtifactHashMismatchError,
  ArtifactNotFoundError,
  assertArtifactHash,
  DirectUploadNotFoundError,
  type ArtifactRef,
  type DirectUpload,
  type DirectUploadRequest,
  type DirectUploads,
  type ArtifactStore,
  type ArtifactWriter,
  type ByteRange,
  type WriterOptions,
} from './artifactStore.js';
export { LocalArtifactStore } from './localArtifactStore.js';
export { S3ArtifactStore, type S3ArtifactStoreOptions } from './s3ArtifactStore.js';
export { artifactStoreFor, parseS3Url, type ArtifactLocation } from './artifactStoreFor.js';
