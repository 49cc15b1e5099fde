const ASCII = /^[ -~\t\n\r]*$/;
const SEPARATORS = /[\p{P}\p{S}\s]+/gu;

/** Case, width, punctuation and spacing folded away, so that trivially different instructions compare equal. */
export function normaliseText(text: string): string {
  // NFKC changes nothing in ASCII text, which is most text; skipping it is the biggest saving here.
  const folded = ASCII.test(text) ? text : text.normalize('NFKC');
  return folded.toLowerCase().replace(SEPARATORS, ' ').trim();
}
