import { z } from 'zod';
import { exactText, freeText } from './textKinds.js';

/**
 * Building blocks shared by the event schemas of several aggregates. Every string says whether it is
 * free text (redacted before append) or exact (see textKinds.ts).
 */

export const id = exactText(z.string().min(1).max(200));
/** Unmarked: use one of the marked forms below in an event schema. */
export const nonEmptyText = z.string().trim().min(1);
/** Text a person or a model wrote, possibly empty. */
export const freeString = freeText(z.string());
/** Text a person or a model wrote: names, reasons, descriptions. */
export const nonEmptyFreeText = freeText(nonEmptyText);
/** Text that identifies or selects: actors, workers, model and deployment names, codes, paths. */
export const nonEmptyExactText = exactText(nonEmptyText);
export const isoTimestamp = exactText(z.iso.datetime({ offset: true }));
export const sha256 = exactText(z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 hash: 64 lowercase hex digits'));
export const positiveInt = z.int().positive();
export const nonNegativeInt = z.int().nonnegative();
export const nonNegative = z.number().nonnegative();
/** Record keys that are codes: metric names, PII kinds, categories. */
export const exactKey = exactText(z.string());

export const modelRef = z.object({ name: id, version: positiveInt });
export type ModelRef = z.infer<typeof modelRef>;

export const datasetRef = z.object({ id, revision: positiveInt });
export type DatasetRef = z.infer<typeof datasetRef>;

/** A file in the content-addressed artifact store: events hold the hash, never the bytes. */
export const artifactRef = z.object({
  hash: sha256,
  byteSize: nonNegativeInt,
  mediaType: exactText(z.string().min(1)).optional(),
});
export type ArtifactRef = z.infer<typeof artifactRef>;
