import type { DatasetRecord } from './datasetRecord.js';

/**
 * JSON with object keys sorted (code-unit order) at every depth and no whitespace, so that equal
 * content always gives equal bytes whatever the key order or formatting of the input.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new Error(`canonical JSON cannot hold ${value}: use a finite number`);
    }
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += value[i] === undefined ? 'null' : canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  const keys = Object.keys(value).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${canonicalJson(item)}`;
  }
  return `${out}}`;
}

/**
 * canonicalJson specialised to the record shape: the same bytes, without sorting keys for every
 * message (the hot path of ingestion). Fields outside DatasetRecord are not written.
 */
export function canonicalRecordJson(record: DatasetRecord): string {
  let out = '{';
  if (record.chosen !== undefined) out += `"chosen":${JSON.stringify(record.chosen)},`;
  if (record.entities !== undefined) out += `"entities":${canonicalJson(record.entities)},`;
  out += '"messages":[';
  const messages = record.messages;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    out += `${i > 0 ? ',' : ''}{"content":${JSON.stringify(m.content)},"role":${JSON.stringify(m.role)}}`;
  }
  out += ']';
  if (record.provenance !== undefined) out += `,"provenance":${canonicalJson(record.provenance)}`;
  if (record.rejected !== undefined) out += `,"rejected":${JSON.stringify(record.rejected)}`;
  return `${out}}`;
}
