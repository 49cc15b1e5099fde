import llamaTokenizer from 'llama-tokenizer-js';
import llama3Tokenizer from 'llama3-tokenizer-js';

/**
 * Hugging Face tokenizer.json files rebuilt from the vocabularies and merges that llama-tokenizer-js and
 * llama3-tokenizer-js ship, with the pipeline components of Meta's published tokenizer.json files. The packages
 * are an independent implementation, so comparing HfJsonTokenizer with them on the same text tests it.
 */
function mergesInOrder(merges: Map<string, number>): string[] {
  return [...merges.entries()].sort((a, b) => a[1] - b[1]).map(([pair]) => pair);
}

function vocabObject(vocabById: string[], from: number, to: number): Record<string, number> {
  const vocab: Record<string, number> = {};
  for (let id = from; id < to; id++) vocab[vocabById[id]] = id;
  return vocab;
}

export const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

export function llama3TokenizerJson(): Record<string, unknown> {
  const v = llama3Tokenizer.vocabById;
  return {
    version: '1.0',
    added_tokens: v.slice(128000).map((content, i) => ({ id: 128000 + i, content, special: true })),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: LLAMA3_PATTERN }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'Sequence',
      processors: [
        { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
        {
          type: 'TemplateProcessing',
          single: [
            { SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
          ],
        },
      ],
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: true,
      vocab: vocabObject(v, 0, 128000),
      merges: mergesInOrder(llama3Tokenizer.merges),
    },
  };
}

/** LLaMA 2's tokenizer.json (legacy normalizer form, as in meta-llama/Llama-2-7b-hf). */
export function llama2TokenizerJson(style: 'legacy' | 'metaspace' = 'legacy'): Record<string, unknown> {
  const v = llamaTokenizer.vocabById;
  const pipeline =
    style === 'legacy'
      ? {
          normalizer: {
            type: 'Sequence',
            normalizers: [
              { type: 'Prepend', prepend: '▁' },
              { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
            ],
          },
          pre_tokenizer: null,
          decoder: {
            type: 'Sequence',
            decoders: [
              { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
              { type: 'ByteFallback' },
              { type: 'Fuse' },
              { type: 'Strip', content: ' ', start: 1, stop: 0 },
            ],
          },
        }
      : {
          normalizer: null,
          pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
          decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
        };
  return {
    version: '1.0',
    added_tokens: [
      { id: 0, content: '<unk>', special: true },
      { id: 1, content: '<s>', special: true },
      { id: 2, content: '</s>', special: true },
    ],
    ...pipeline,
    post_processor: null,
    model: {
      type: 'BPE',
      unk_token: '<unk>',
      fuse_unk: true,
      byte_fallback: true,
      vocab: vocabObject(v, 0, v.length),
      merges: mergesInOrder(llamaTokenizer.merges),
    },
  };
}

export const MIXED_TEXTS: readonly string[] = [
  'Hello world',
  'The quick brown fox jumps over the lazy dog.',
  "I'M sure they'll say it's fine; don't WORRY, we've got 12345 tokens.",
  '微调大语言模型需要高质量的指令数据。',
  'LoRA 微调 LLaMA 2 模型 🦙 with emoji 🚀🔥 and mixed 中英文 text',
  '  leading spaces, trailing   \n\nnew lines\ttabs\r\nand CRLF  ',
  'Ünïcödé àccents: café naïve — résumé… «quotes» ½ №',
  '한국어 텍스트와 日本語のテキスト',
  'def f(x):\n    return x ** 2  # square\n',
  '👨‍👩‍👧‍👦 family emoji and 🇨🇳 flag',
  '1234567890 3.14159 -42 1e-9',
  '',
  ' ',
  '\n',
];
