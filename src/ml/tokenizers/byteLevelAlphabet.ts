/**
 * GPT-2's reversible map between bytes and printable characters, used by byte-level BPE vocabularies
 * (Llama 3, GPT-2, Qwen...) so that every byte has a visible one-character name ("Ġ" is the space byte).
 */
function buildByteToChar(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const byteToChar: string[] = new Array(256);
  const isPrintable = new Set(printable);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (isPrintable.has(b)) byteToChar[b] = String.fromCharCode(b);
    else byteToChar[b] = String.fromCharCode(256 + next++);
  }
  return byteToChar;
}

export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** Bytes of a byte-level token string, or undefined when a character is not in the alphabet. */
export function byteLevelTokenBytes(token: string): number[] | undefined {
  const bytes: number[] = [];
  for (const ch of token) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b === undefined) return undefined;
    bytes.push(b);
  }
  return bytes;
}
