import { z } from 'zod';
import {
  type AlignedText,
  alignedFromOriginal,
  concatAligned,
  insertedText,
  mapCodePoints,
  replaceAligned,
  splitAligned,
} from './alignedText.js';
import { BYTE_TO_CHAR, byteLevelTokenBytes } from './byteLevelAlphabet.js';
import { BpeModel, type BpeSymbol } from './bpeModel.js';
import { GPT2_PATTERN, escapeRegExp, toJsRegExp } from './onigurumaRegex.js';
import type { DecodeOptions, EncodeOptions, Encoding, Tokenizer } from './tokenizer.js';
import type { TokenizerConfig } from './tokenizerConfig.js';
import {
  type ComponentJson,
  type TokenizerJson,
  bpeModelSchema,
  byteLevelComponentSchema,
  metaspaceComponentSchema,
  replaceComponentSchema,
  splitComponentSchema,
  tokenizerJsonSchema,
} from './tokenizerJson.schema.js';

const utf8 = new TextEncoder();
const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

type Normalize = (a: AlignedText) => AlignedText;
type PreTokenize = (pieces: AlignedText[], sectionStart: number) => AlignedText[];

/**
 * A Hugging Face `tokenizer.json` with a BPE model: SentencePiece-converted models with byte fallback
 * (LLaMA 2, Mistral, TinyLlama) and byte-level BPE (Llama 3, GPT-2, Qwen). Written here rather than taken
 * from a package because training needs character offsets through every step (entity-weighted loss), and
 * no maintained offline npm package gives them.
 */
export class HfJsonTokenizer implements Tokenizer {
  readonly kind = 'hf-json' as const;
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly bosToken: string;
  readonly eosToken: string;
  readonly stopIds: readonly number[];
  readonly chatTemplate?: string;

  private readonly idToString: string[] = [];
  private readonly stringToId = new Map<string, number>();
  private readonly addedById = new Map<number, { content: string; special: boolean }>();
  private readonly addedPattern: RegExp | undefined;
  private readonly addedByContent = new Map<string, number>();
  private readonly normalize: Normalize;
  private readonly preTokenize: PreTokenize;
  private readonly byteLevel: boolean;
  private readonly byteFallback: boolean;
  private readonly metaspaceChar: string | undefined;
  private readonly stripLeadingSpace: boolean;
  private readonly model: BpeModel;

  constructor(
    json: unknown,
    config: Partial<TokenizerConfig> | undefined = undefined,
    source = 'tokenizer.json',
  ) {
    const parsed = tokenizerJsonSchema.safeParse(json);
    if (!parsed.success)
      throw new Error(`${source}: not a Hugging Face tokenizer file: ${z.prettifyError(parsed.error)}`);
    const tj: TokenizerJson = parsed.data;
    if (tj.model.type !== undefined && tj.model.type !== 'BPE') {
      throw new Error(
        `${source}: model type ${tj.model.type} is not supported (only BPE); use a BPE tokenizer or the byte tokenizer`,
      );
    }
    const modelParsed = bpeModelSchema.safeParse(tj.model);
    if (!modelParsed.success)
      throw new Error(`${source}: bad BPE model: ${z.prettifyError(modelParsed.error)}`);
    const m = modelParsed.data;
    if (m.continuing_subword_prefix || m.end_of_word_suffix) {
      throw new Error(`${source}: BPE with continuing_subword_prefix/end_of_word_suffix is not supported`);
    }

    const vocab = new Map<string, number>();
    for (const token in m.vocab) {
      const id = m.vocab[token];
      if (!Number.isInteger(id) || id < 0) {
        throw new Error(`${source}: model.vocab["${token}"] is ${JSON.stringify(id)}, not a token id`);
      }
      vocab.set(token, id);
      this.idToString[id] = token;
      this.stringToId.set(token, id);
    }
    for (const t of tj.added_tokens) {
      this.idToString[t.id] = t.content;
      this.stringToId.set(t.content, t.id);
      this.addedById.set(t.id, { content: t.content, special: t.special });
      this.addedByContent.set(t.content, t.id);
    }
    this.vocabSize = this.idToString.length;
    const contents = [...this.addedByContent.keys()]
      .filter((c) => c.length > 0)
      .sort((a, b) => b.length - a.length);
    this.addedPattern =
      contents.length > 0 ? new RegExp(contents.map(escapeRegExp).join('|'), 'gu') : undefined;

    const merges = m.merges.map((entry, i): [string, string] => {
      if (
        Array.isArray(entry) &&
        entry.length === 2 &&
        typeof entry[0] === 'string' &&
        typeof entry[1] === 'string'
      ) {
        return [entry[0], entry[1]];
      }
      if (typeof entry !== 'string') {
        throw new Error(`${source}: merge #${i} is ${JSON.stringify(entry)}, expected "a b" or ["a", "b"]`);
      }
      const space = entry.indexOf(' ', 1);
      if (space < 0) throw new Error(`${source}: merge #${i} "${entry}" has no space between its two parts`);
      return [entry.slice(0, space), entry.slice(space + 1)];
    });
    this.model = new BpeModel(vocab, merges, {
      byteFallback: m.byte_fallback,
      unkToken: m.unk_token,
      fuseUnk: m.fuse_unk,
      ignoreMerges: m.ignore_merges,
    });
    this.byteFallback = m.byte_fallback;

    const components = [tj.normalizer, tj.pre_tokenizer, tj.decoder].flatMap((c) => flatten(c));
    this.byteLevel = components.some((c) => c.type === 'ByteLevel');
    this.normalize = buildNormalizer(tj.normalizer, source);
    this.preTokenize = buildPreTokenizer(tj.pre_tokenizer, source);
    const decoders = flatten(tj.decoder);
    const metaspaceDecoder = decoders.find((c) => c.type === 'Metaspace');
    const spaceReplace = decoders.find(
      (c) => c.type === 'Replace' && (c.content as string) === ' ' && typeof c.pattern === 'object',
    );
    this.metaspaceChar =
      metaspaceDecoder !== undefined
        ? metaspaceComponentSchema.parse(metaspaceDecoder).replacement
        : spaceReplace !== undefined
          ? ((spaceReplace.pattern as { String?: string }).String ?? undefined)
          : undefined;
    this.stripLeadingSpace =
      decoders.some((c) => c.type === 'Strip' && c.content === ' ' && Number(c.start) >= 1) ||
      (metaspaceDecoder !== undefined &&
        metaspacePrepends(metaspaceComponentSchema.parse(metaspaceDecoder)) !== 'never');

    const templateFirst = firstTemplateSpecial(tj.post_processor);
    const idOf = (name: string | undefined): number | undefined =>
      name === undefined ? undefined : this.stringToId.get(name);
    const firstPresent = (names: string[]): number | undefined =>
      names.map((n) => this.stringToId.get(n)).find((id) => id !== undefined);
    const bos =
      idOf(config?.bos_token) ?? idOf(templateFirst) ?? firstPresent(['<s>', '<|begin_of_text|>', '<bos>']);
    const eos =
      idOf(config?.eos_token) ??
      firstPresent(['</s>', '<|end_of_text|>', '<|endoftext|>', '<eos>', '<|im_end|>']);
    this.bosId = bos ?? -1;
    this.eosId = eos ?? -1;
    this.padId =
      idOf(config?.pad_token) ?? firstPresent(['<pad>', '<|finetune_right_pad_id|>']) ?? this.eosId;
    this.bosToken = bos === undefined ? '' : this.idToString[bos];
    this.eosToken = eos === undefined ? '' : this.idToString[eos];
    const stops = new Set<number>(eos === undefined ? [] : [eos]);
    for (const name of ['<|eot_id|>', '<|eom_id|>', '<|im_end|>', '<|end|>', '<end_of_turn>']) {
      const id = this.addedByContent.get(name);
      if (id !== undefined) stops.add(id);
    }
    this.stopIds = [...stops];
    this.chatTemplate = config?.chat_template;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    return this.encodeWithOffsets(text, options).ids;
  }

  encodeWithOffsets(text: string, options: EncodeOptions = {}): Encoding {
    const ids: number[] = [];
    const offsets: Array<readonly [number, number]> = [];
    if (options.addBos === true) {
      ids.push(requireId(this.bosId, 'BOS'));
      offsets.push([0, 0]);
    }
    let last = 0;
    const section = (start: number, end: number): void => {
      if (end <= start) return;
      this.encodeSection(text.slice(start, end), start, ids, offsets);
    };
    if (this.addedPattern !== undefined) {
      for (const m of text.matchAll(this.addedPattern)) {
        section(last, m.index);
        ids.push(this.addedByContent.get(m[0]) as number);
        offsets.push([m.index, m.index + m[0].length]);
        last = m.index + m[0].length;
      }
    }
    section(last, text.length);
    if (options.addEos === true) {
      ids.push(requireId(this.eosId, 'EOS'));
      offsets.push([text.length, text.length]);
    }
    return { ids, offsets };
  }

  private encodeSection(
    text: string,
    base: number,
    ids: number[],
    offsets: Array<readonly [number, number]>,
  ): void {
    const normalized = this.normalize(alignedFromOriginal(text, base));
    for (const piece of this.preTokenize([normalized], base)) {
      for (const token of this.model.tokenize(this.symbolsOf(piece))) {
        ids.push(token.id);
        offsets.push([token.start, token.end]);
      }
    }
  }

  private symbolsOf(piece: AlignedText): BpeSymbol[] {
    const symbols: BpeSymbol[] = [];
    let i = 0;
    for (const ch of piece.text) {
      const start = piece.spans[i][0];
      const end = piece.spans[i + ch.length - 1][1];
      if (this.byteLevel) {
        for (const b of utf8.encode(ch)) symbols.push({ token: BYTE_TO_CHAR[b], start, end });
      } else symbols.push({ token: ch, start, end });
      i += ch.length;
    }
    return symbols;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const bytes: number[] = [];
    for (const id of ids) {
      const added = this.addedById.get(id);
      if (added !== undefined) {
        if (!(added.special && options.skipSpecialTokens === true)) bytes.push(...utf8.encode(added.content));
        continue;
      }
      bytes.push(...this.tokenBytes(id));
    }
    let text = new TextDecoder().decode(new Uint8Array(bytes));
    if (this.stripLeadingSpace && text.startsWith(' ')) text = text.slice(1);
    return text;
  }

  private tokenBytes(id: number): Iterable<number> {
    const token = this.idToString[id];
    if (token === undefined)
      throw new Error(`tokenizer: id ${id} is outside the vocabulary (size ${this.vocabSize})`);
    const byteMatch = this.byteFallback ? BYTE_TOKEN.exec(token) : null;
    if (byteMatch !== null) return [parseInt(byteMatch[1], 16)];
    if (this.byteLevel) {
      const bytes = byteLevelTokenBytes(token);
      if (bytes !== undefined) return bytes;
    }
    const visible = this.metaspaceChar === undefined ? token : token.split(this.metaspaceChar).join(' ');
    return utf8.encode(visible);
  }

  idToToken(id: number): string | undefined {
    return this.idToString[id];
  }

  tokenToId(token: string): number | undefined {
    return this.stringToId.get(token);
  }

  isSpecial(id: number): boolean {
    return (
      this.addedById.get(id)?.special === true || id === this.bosId || id === this.eosId || id === this.padId
    );
  }
}

function requireId(id: number, what: string): number {
  if (id < 0) {
    throw new Error(
      `tokenizer: this tokenizer has no ${what} token; set ${what.toLowerCase()}_token in tokenizer_config.json`,
    );
  }
  return id;
}

function flatten(component: ComponentJson | null): ComponentJson[] {
  if (component === null) return [];
  const children =
    component.normalizers ?? component.pretokenizers ?? component.decoders ?? component.processors;
  if (component.type === 'Sequence' && Array.isArray(children)) {
    return (children as ComponentJson[]).flatMap((c) => flatten(c));
  }
  return [component];
}

function metaspacePrepends(c: z.infer<typeof metaspaceComponentSchema>): 'always' | 'first' | 'never' {
  if (c.prepend_scheme !== undefined) return c.prepend_scheme;
  return c.add_prefix_space === false ? 'never' : 'always';
}

function firstTemplateSpecial(post: ComponentJson | null): string | undefined {
  for (const c of flatten(post)) {
    if (c.type !== 'TemplateProcessing' || !Array.isArray(c.single)) continue;
    const first = c.single[0] as { SpecialToken?: { id?: string } } | undefined;
    if (first?.SpecialToken?.id !== undefined) return first.SpecialToken.id;
  }
  return undefined;
}

function buildNormalizer(component: ComponentJson | null, source: string): Normalize {
  const steps = flatten(component).map((c): Normalize => {
    switch (c.type) {
      case 'Prepend': {
        const prefix = String(c.prepend);
        return (a) =>
          a.text.length === 0 ? a : concatAligned([insertedText(prefix, a.spans[0]?.[0] ?? 0), a]);
      }
      case 'Replace': {
        const r = replaceComponentSchema.parse(c);
        const pattern = toJsRegExp(r.pattern);
        return (a) => replaceAligned(a, pattern, r.content);
      }
      case 'Lowercase':
        return (a) => mapCodePoints(a, (ch) => ch.toLowerCase());
      case 'NFC':
      case 'NFD':
      case 'NFKC':
      case 'NFKD': {
        const form = c.type;
        return (a) => mapCodePoints(a, (ch) => ch.normalize(form));
      }
      case 'Strip': {
        const left = c.left !== false;
        const right = c.right !== false;
        return (a) => {
          let start = 0;
          let end = a.text.length;
          while (left && start < end && /\s/u.test(a.text[start])) start++;
          while (right && end > start && /\s/u.test(a.text[end - 1])) end--;
          return { text: a.text.slice(start, end), spans: a.spans.slice(start, end) };
        };
      }
      default:
        throw new Error(`${source}: normalizer ${c.type} is not supported`);
    }
  });
  return (a) => steps.reduce((acc, step) => step(acc), a);
}

function buildPreTokenizer(component: ComponentJson | null, source: string): PreTokenize {
  const steps = flatten(component).map((c): PreTokenize => {
    switch (c.type) {
      case 'ByteLevel': {
        const b = byteLevelComponentSchema.parse(c);
        return (pieces) =>
          pieces.flatMap((p) => {
            const withSpace =
              b.add_prefix_space && !p.text.startsWith(' ')
                ? concatAligned([insertedText(' ', p.spans[0]?.[0] ?? 0), p])
                : p;
            return b.use_regex ? splitAligned(withSpace, GPT2_PATTERN, 'Isolated') : [withSpace];
          });
      }
      case 'Split': {
        const s = splitComponentSchema.parse(c);
        if (s.invert) throw new Error(`${source}: Split pre-tokenizer with invert=true is not supported`);
        const pattern = toJsRegExp(s.pattern);
        return (pieces) => pieces.flatMap((p) => splitAligned(p, pattern, s.behavior));
      }
      case 'Metaspace': {
        const ms = metaspaceComponentSchema.parse(c);
        const scheme = metaspacePrepends(ms);
        const spaces = / /g;
        const marker = new RegExp(escapeRegExp(ms.replacement), 'gu');
        return (pieces, sectionStart) =>
          pieces.flatMap((p, i) => {
            let out = replaceAligned(p, spaces, ms.replacement);
            const prepend = scheme === 'always' || (scheme === 'first' && sectionStart === 0 && i === 0);
            if (prepend && !out.text.startsWith(ms.replacement)) {
              out = concatAligned([insertedText(ms.replacement, out.spans[0]?.[0] ?? sectionStart), out]);
            }
            return ms.split ? splitAligned(out, marker, 'MergedWithNext') : [out];
          });
      }
      case 'Digits': {
        const pattern = c.individual_digits === true ? /\p{N}/gu : /\p{N}+/gu;
        return (pieces) => pieces.flatMap((p) => splitAligned(p, pattern, 'Isolated'));
      }
      case 'Whitespace':
        return (pieces) =>
          pieces
            .flatMap((p) => splitAligned(p, /\w+|[^\w\s]+/gu, 'Isolated'))
            .filter((p) => /\S/u.test(p.text));
      case 'WhitespaceSplit':
        return (pieces) => pieces.flatMap((p) => splitAligned(p, /\s+/gu, 'Removed'));
      case 'Punctuation':
        return (pieces) => pieces.flatMap((p) => splitAligned(p, /\p{P}/gu, 'Isolated'));
      default:
        throw new Error(`${source}: pre-tokenizer ${c.type} is not supported`);
    }
  });
  return (pieces, sectionStart) => steps.reduce((acc, step) => step(acc, sectionStart), pieces);
}
