import type { DatasetRecord, EntitySpan } from '../formats/index.js';
import type { Lexicon } from './lexicon.js';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const isWordChar = (ch: string | undefined) => ch !== undefined && /[A-Za-z0-9]/.test(ch);

/**
 * Finds lexicon terms in text: longest term first, no overlaps, ASCII terms only at word
 * boundaries and case-insensitively (Chinese has no word boundaries to respect).
 */
export class EntityMatcher {
  private readonly pattern: RegExp | undefined;
  private readonly byLower = new Map<string, { term: string; category: string }>();

  constructor(lexicon: Lexicon) {
    const terms = [...lexicon.terms].sort((a, b) => b.term.length - a.term.length);
    for (const t of terms)
      if (!this.byLower.has(t.term.toLowerCase())) this.byLower.set(t.term.toLowerCase(), t);
    const alternatives = terms.map((t) => {
      const body = escape(t.term);
      const before = isWordChar(t.term[0]) ? '(?<![A-Za-z0-9])' : '';
      const after = isWordChar(t.term[t.term.length - 1]) ? '(?![A-Za-z0-9])' : '';
      return `${before}${body}${after}`;
    });
    this.pattern = alternatives.length > 0 ? new RegExp(alternatives.join('|'), 'gi') : undefined;
  }

  find(text: string, message: number): EntitySpan[] {
    if (!this.pattern) return [];
    const spans: EntitySpan[] = [];
    this.pattern.lastIndex = 0;
    for (let m = this.pattern.exec(text); m !== null; m = this.pattern.exec(text)) {
      const entry = this.byLower.get(m[0].toLowerCase());
      if (entry)
        spans.push({
          message,
          start: m.index,
          end: m.index + m[0].length,
          term: entry.term,
          category: entry.category,
        });
    }
    return spans;
  }

  /** The record with `entities` set to every lexicon term in its messages and answers (chosen/rejected are messages -1 and -2). */
  annotate(record: DatasetRecord): DatasetRecord {
    const entities = record.messages.flatMap((m, i) => (m.role === 'system' ? [] : this.find(m.content, i)));
    if (record.chosen !== undefined) entities.push(...this.find(record.chosen, -1));
    if (record.rejected !== undefined) entities.push(...this.find(record.rejected, -2));
    const { entities: _old, ...rest } = record;
    return entities.length > 0 ? { ...rest, entities } : rest;
  }
}
