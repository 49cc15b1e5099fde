/** Sentence splitting that keeps each sentence's closing punctuation (English and Chinese). */

export function splitSentences(text: string): string[] {
  const pieces = text.match(/[^.!?。！？\n]+(?:[.!?。！？]+["”’」]?|\n+|$)/gu) ?? [];
  return pieces.map((piece) => piece.trim()).filter((piece) => piece !== '');
}
