/** Options for turning text into token ids. Both default to false: prompt formats decide. */
export interface EncodeOptions {
  readonly addBos?: boolean;
  readonly addEos?: boolean;
}

/**
 * Token ids with the character span of each token in the input text, as [start, end) indices into the
 * JavaScript string (UTF-16 code units). A token that holds only part of a character's bytes (byte fallback,
 * byte-level BPE) gets the span of the whole character, so neighbouring spans may overlap. Added tokens
 * such as BOS/EOS get an empty span at the position where they stand.
 */
export interface Encoding {
  readonly ids: number[];
  readonly offsets: Array<readonly [number, number]>;
}

export interface DecodeOptions {
  /** Leave out BOS, EOS, PAD and other special tokens. Default false. */
  readonly skipSpecialTokens?: boolean;
}

export type TokenizerKind = 'byte' | 'llama2' | 'llama3' | 'hf-json';

export interface Tokenizer {
  readonly kind: TokenizerKind;
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  /** The text form of BOS/EOS, as chat templates print them (`<s>`, `<|begin_of_text|>`). */
  readonly bosToken: string;
  readonly eosToken: string;
  /** Ids that end a generation: eosId and end-of-turn tokens such as Llama 3's `<|eot_id|>`. */
  readonly stopIds: readonly number[];
  /** The Jinja chat template from tokenizer_config.json, when the model directory has one. */
  readonly chatTemplate?: string;
  encode(text: string, options?: EncodeOptions): number[];
  encodeWithOffsets(text: string, options?: EncodeOptions): Encoding;
  decode(ids: readonly number[], options?: DecodeOptions): string;
  /** The vocabulary string of a token (as stored: `▁the`, `Ġthe`, `<0x0A>`), undefined out of range. */
  idToToken(id: number): string | undefined;
  /** The id of a vocabulary string, undefined if absent. */
  tokenToId(token: string): number | undefined;
  isSpecial(id: number): boolean;
}
