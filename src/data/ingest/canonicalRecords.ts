import type { ArtifactStore } from '../artifacts/index.js';
import { readJsonl, type DatasetRecord } from '../formats/index.js';

/** Streams the records of a stored canonical revision (or one of its splits). */
export async function* readCanonicalRecords(
  store: ArtifactStore,
  hash: string,
): AsyncGenerator<DatasetRecord> {
  const stream = await store.open(hash);
  stream.setEncoding('utf8');
  for await (const item of readJsonl(stream as AsyncIterable<string>)) {
    if ('error' in item) {
      throw new Error(`artifact ${hash} line ${item.line} ${item.error}: the store holds a damaged dataset`);
    }
    yield item.value as DatasetRecord;
  }
}
