import { z } from 'zod';

/** Building blocks shared by the event schemas of several aggregates. */

export const id = z.string().min(1).max(200);
export const nonEmptyText = z.string().trim().min(1);
export const isoTimestamp = z.iso.datetime({ offset: true });
export const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 hash: 64 lowercase hex digits');
export const positiveInt = z.int().positive();
export const nonNegativeInt = z.int().nonnegative();
export const nonNegative = z.number().nonnegative();

export const modelRef = z.object({ name: id, version: positiveInt });
export type ModelRef = z.infer<typeof modelRef>;

export const datasetRef = z.object({ id, revision: positiveInt });
export type DatasetRef = z.infer<typeof datasetRef>;

/** A file in the content-addressed artifact store: events hold the hash, never the bytes. */
export const artifactRef = z.object({
  hash: sha256,
  byteSize: nonNegativeInt,
  mediaType: z.string().min(1).optional(),
});
export type ArtifactRef = z.infer<typeof artifactRef>;
