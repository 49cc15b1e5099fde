import llama3Tokenizer from 'llama3-tokenizer-js';
import { byteLevelTokenBytes } from './byteLevelAlphabet.js';
import { offsetsFromByteLengths } from './byteOffsets.js';
import type { DecodeOptions, EncodeOptions, Encoding, Tokenizer } from './tokenizer.js';

const FIRST_SPECIAL_ID = 128000;

/**
 * The Llama 3 / 3.1 tokenizer (byte-level BPE, 128256 ids) from `llama3-tokenizer-js`, which ships the
 * vocabulary. Special tokens written in the text (`<|eot_id|>`, `<|start_header_id|>`...) are parsed as
 * special tokens, as the Hugging Face tokenizer does. BOS is `<|begin_of_text|>`, EOS `<|end_of_text|>`;
 * generation also stops at `<|eot_id|>` and `<|eom_id|>` (instruct models end turns with them). Pad is
 * `<|finetune_right_pad_id|>`.
 */
export class Llama3Tokenizer implements Tokenizer {
  readonly kind = 'llama3' as const;
  readonly vocabSize = llama3Tokenizer.vocabById.length;
  readonly bosId = llama3Tokenizer.getSpecialTokenId('<|begin_of_text|>');
  readonly eosId = llama3Tokenizer.getSpecialTokenId('<|end_of_text|>');
  readonly padId = llama3Tokenizer.getSpecialTokenId('<|finetune_right_pad_id|>');
  readonly bosToken = '<|begin_of_text|>';
  readonly eosToken = '<|end_of_text|>';
  readonly stopIds: readonly number[] = [
    this.eosId,
    llama3Tokenizer.getSpecialTokenId('<|eot_id|>'),
    llama3Tokenizer.getSpecialTokenId('<|eom_id|>'),
  ];

  constructor(readonly chatTemplate?: string) {}

  encode(text: string, options: EncodeOptions = {}): number[] {
    return llama3Tokenizer.encode(text, { bos: options.addBos === true, eos: options.addEos === true });
  }

  encodeWithOffsets(text: string, options: EncodeOptions = {}): Encoding {
    const core = llama3Tokenizer.encode(text, { bos: false, eos: false });
    const offsets = offsetsFromByteLengths(
      text,
      core.map((id) => this.tokenBytes(id).length),
    );
    const ids = [...core];
    if (options.addBos === true) {
      ids.unshift(this.bosId);
      offsets.unshift([0, 0]);
    }
    if (options.addEos === true) {
      ids.push(this.eosId);
      offsets.push([text.length, text.length]);
    }
    return { ids, offsets };
  }

  private tokenBytes(id: number): number[] {
    const token = llama3Tokenizer.vocabById[id];
    if (token === undefined)
      throw new Error(`tokenizer: id ${id} is outside the Llama 3 vocabulary (0-128255)`);
    if (id >= FIRST_SPECIAL_ID) return [...new TextEncoder().encode(token)];
    const bytes = byteLevelTokenBytes(token);
    if (bytes === undefined)
      throw new Error(`tokenizer: Llama 3 token ${id} "${token}" is not byte-level text`);
    return bytes;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const kept = options.skipSpecialTokens === true ? ids.filter((id) => !this.isSpecial(id)) : ids;
    const bytes = kept.flatMap((id) => this.tokenBytes(id));
    return new TextDecoder().decode(new Uint8Array(bytes));
  }

  idToToken(id: number): string | undefined {
    return llama3Tokenizer.vocabById[id];
  }

  tokenToId(token: string): number | undefined {
    return llama3Tokenizer.vocabByString.get(token);
  }

  isSpecial(id: number): boolean {
    return id >= FIRST_SPECIAL_ID;
  }
}
