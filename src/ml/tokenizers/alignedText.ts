/**
 * A string being normalized or pre-tokenized, with the [start, end) span in the original text that each
 * UTF-16 code unit came from; inserted text (a prepended "▁") has an empty span.
 */
export interface AlignedText {
  readonly text: string;
  readonly spans: ReadonlyArray<readonly [number, number]>;
}

export function alignedFromOriginal(text: string, base: number): AlignedText {
  const spans: Array<readonly [number, number]> = [];
  for (let i = 0; i < text.length; i++) spans.push([base + i, base + i + 1]);
  return { text, spans };
}

export function sliceAligned(a: AlignedText, start: number, end: number): AlignedText {
  return { text: a.text.slice(start, end), spans: a.spans.slice(start, end) };
}

export function concatAligned(parts: readonly AlignedText[]): AlignedText {
  return { text: parts.map((p) => p.text).join(''), spans: parts.flatMap((p) => p.spans) };
}

export function insertedText(text: string, at: number): AlignedText {
  return { text, spans: Array.from({ length: text.length }, () => [at, at] as const) };
}

/** Replace every match of `pattern` (global) with `content`; each replacement unit maps to the whole match. */
export function replaceAligned(a: AlignedText, pattern: RegExp, content: string): AlignedText {
  const parts: AlignedText[] = [];
  let last = 0;
  for (const m of a.text.matchAll(pattern)) {
    const start = m.index;
    const end = start + m[0].length;
    if (end === start) continue;
    parts.push(sliceAligned(a, last, start));
    const span: readonly [number, number] = [a.spans[start][0], a.spans[end - 1][1]];
    parts.push({ text: content, spans: Array.from({ length: content.length }, () => span) });
    last = end;
  }
  parts.push(sliceAligned(a, last, a.text.length));
  return concatAligned(parts);
}

/** Apply a per-code-point transform (lower-casing, Unicode normalization forms) keeping spans. */
export function mapCodePoints(a: AlignedText, f: (ch: string) => string): AlignedText {
  const parts: AlignedText[] = [];
  let i = 0;
  for (const ch of a.text) {
    const span: readonly [number, number] = [a.spans[i][0], a.spans[i + ch.length - 1][1]];
    const out = f(ch);
    parts.push({ text: out, spans: Array.from({ length: out.length }, () => span) });
    i += ch.length;
  }
  return concatAligned(parts);
}

export type SplitBehavior = 'Isolated' | 'Removed' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';

/** Hugging Face's split semantics: what happens to the matched delimiters. */
export function splitAligned(a: AlignedText, pattern: RegExp, behavior: SplitBehavior): AlignedText[] {
  const ranges: Array<{ start: number; end: number; match: boolean }> = [];
  let last = 0;
  for (const m of a.text.matchAll(pattern)) {
    const start = m.index;
    const end = start + m[0].length;
    if (end === start) continue;
    if (start > last) ranges.push({ start: last, end: start, match: false });
    ranges.push({ start, end, match: true });
    last = end;
  }
  if (last < a.text.length) ranges.push({ start: last, end: a.text.length, match: false });

  const merged: Array<{ start: number; end: number }> = [];
  switch (behavior) {
    case 'Isolated':
      for (const r of ranges) merged.push(r);
      break;
    case 'Removed':
      for (const r of ranges) if (!r.match) merged.push(r);
      break;
    case 'MergedWithPrevious':
      for (const r of ranges) {
        const prev = merged[merged.length - 1];
        if (r.match && prev !== undefined && prev.end === r.start) prev.end = r.end;
        else merged.push({ ...r });
      }
      break;
    case 'MergedWithNext': {
      let pending: { start: number; end: number } | undefined;
      for (const r of ranges) {
        if (r.match) {
          if (pending !== undefined) merged.push(pending);
          pending = { start: r.start, end: r.end };
        } else if (pending !== undefined) {
          merged.push({ start: pending.start, end: r.end });
          pending = undefined;
        } else merged.push({ ...r });
      }
      if (pending !== undefined) merged.push(pending);
      break;
    }
    case 'Contiguous':
      for (const r of ranges) {
        const prev = merged[merged.length - 1] as { start: number; end: number; match?: boolean } | undefined;
        if (r.match && prev?.match === true && prev.end === r.start) prev.end = r.end;
        else merged.push({ ...r });
      }
      break;
    default: {
      const never: never = behavior;
      throw new Error(`unknown split behaviour ${String(never)}`);
    }
  }
  return merged.map((r) => sliceAligned(a, r.start, r.end));
}
