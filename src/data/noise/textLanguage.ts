/** Chinese vs English by script, to pick the language of injected or distracting text. */
const HAN = /[\u3400-\u4dbf\u4e00-\u9fff]/gu;
const LATIN_WORD = /[A-Za-z]+/g;

export function isMostlyChinese(text: string): boolean {
  const han = text.match(HAN)?.length ?? 0;
  const latin = text.match(LATIN_WORD)?.length ?? 0;
  return han > 0 && han >= latin;
}
