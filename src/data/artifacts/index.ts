export {
  ArtifactHashMismatchError,
  ArtifactNotFoundError,
  assertArtifactHash,
  DirectUploadNotFoundError,
  DirectUploadPartsError,
  type ArtifactRef,
  type DirectUpload,
  type DirectUploadRequest,
  type DirectUploads,
  type UploadedPart,
  type UploadPart,
  type ArtifactStore,
  type ArtifactWriter,
  type ByteRange,
  type WriterOptions,
} from './artifactStore.js';
export { LocalArtifactStore } from './localArtifactStore.js';
export { S3ArtifactStore, type S3ArtifactStoreOptions } from './s3ArtifactStore.js';
export { MULTIPART_DEFAULTS, type MultipartSettings } from './s3DirectUploads.js';
export { artifactStoreFor, parseS3Url, type ArtifactLocation } from './artifactStoreFor.js';
