/** Script-based language detection: enough to tell Chinese from English without a model. */

export type Language = 'zh' | 'en';

const HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/gu;
const LATIN_WORD = /[A-Za-z\u00c0-\u024f]+/g;

export function countHan(text: string): number {
  return text.match(HAN)?.length ?? 0;
}

export function containsHan(text: string): boolean {
  HAN.lastIndex = 0;
  const found = HAN.test(text);
  HAN.lastIndex = 0;
  return found;
}

/**
 * 'zh' when Han characters are at least as many as Latin words (a Han character carries about
 * as much as an English word), 'en' when there are Latin words, undefined for text with neither
 * (numbers, punctuation, empty).
 */
export function detectScriptLanguage(text: string): Language | undefined {
  const han = countHan(text);
  const latinWords = text.match(LATIN_WORD)?.length ?? 0;
  if (han === 0 && latinWords === 0) return undefined;
  return han >= latinWords ? 'zh' : 'en';
}
