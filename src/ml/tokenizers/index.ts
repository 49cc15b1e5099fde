export type { DecodeOptions, EncodeOptions, Encoding, Tokenizer, TokenizerKind } from './tokenizer.js';
export { ByteTokenizer, type ByteTokenizerOptions } from './byteTokenizer.js';
export { Llama2Tokenizer } from './llama2Tokenizer.js';
export { Llama3Tokenizer } from './llama3Tokenizer.js';
export { HfJsonTokenizer } from './hfJsonTokenizer.js';
export { loadTokenizer } from './loadTokenizer.js';
export {
  type TokenizerConfig,
  parseTokenizerConfig,
  readTokenizerConfig,
  tokenizerConfigSchema,
} from './tokenizerConfig.js';
