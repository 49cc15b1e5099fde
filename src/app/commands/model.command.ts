import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import {
  generate,
  initBackend,
  initModel,
  loadModel,
  loadRewardModel,
  LoraAdapter,
  LINEAR_MODULES,
  saveModel,
  scoreResponses,
  TINY_CONFIG,
  TINY_TRAINABLE_INIT_RANGE,
  type LinearModule,
  type StoredDtype,
} from '../../ml/index.js';
import { promptFormatByName } from '../../ml/prompts/index.js';
import { ByteTokenizer, loadTokenizer } from '../../ml/tokenizers/index.js';
import { ApiClient, uploadModelDirectory } from '../../workers/index.js';
import { loadConfig } from '../config.js';
import { runningServer } from '../forwarding.js';
import type { RegisterCommand } from './registerCommand.js';

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new Error(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
    }
    return parsed;
  };
}

function real(name: string, min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
      throw new Error(`${name} must be a number from ${min} to ${max}, got "${value}"`);
    }
    return parsed;
  };
}

function modules(value: string): LinearModule[] {
  const list = value.split(',').map((m) => m.trim());
  const bad = list.filter((m) => !(LINEAR_MODULES as readonly string[]).includes(m));
  if (bad.length > 0)
    throw new Error(`--lora-targets: ${bad.join(', ')} not among ${LINEAR_MODULES.join(', ')}`);
  return list as LinearModule[];
}

interface InitOptions {
  tiny?: boolean;
  initRange?: number;
  out: string;
  seed: number;
  vocab?: number;
  hidden?: number;
  intermediate?: number;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  tied?: boolean;
  dtype: StoredDtype;
  shardBytes?: number;
  loraOut?: string;
  loraR: number;
  loraAlpha: number;
  loraTargets: LinearModule[];
}

interface ScoreOptions {
  reward: string;
  base?: string;
  prompt: string;
  input?: string;
  system?: string;
  answer: string[];
  format?: string;
}

interface RunOptions {
  model: string;
  adapter?: string;
  merge?: boolean;
  prompt?: string;
  ids?: string;
  bos: boolean;
  maxTokens: number;
  temperature: number;
  topK?: number;
  topP?: number;
  seed: number;
  logits?: boolean;
  json?: boolean;
}

export const registerModelCommand: RegisterCommand = (program: Command) => {
  const model = program
    .command('model')
    .description(
      'LLaMA checkpoints: create a small random one, run one (generate or print logits), upload one for remote workers',
    );

  model
    .command('init')
    .description(
      'Write a random LlamaForCausalLM checkpoint in Hugging Face layout (config.json, model.safetensors) with a ' +
        'byte-level tokenizer (tokenizer.json, tokenizer_config.json); --lora-out also writes a random PEFT LoRA ' +
        'adapter (B not zero) for checking against PEFT.',
    )
    .option(
      '--tiny',
      `the tiny test configuration (vocab ${TINY_CONFIG.vocabSize}, hidden ${TINY_CONFIG.hiddenSize}, ${TINY_CONFIG.numLayers} layers, ${TINY_CONFIG.numHeads} heads, ${TINY_CONFIG.numKvHeads} kv heads)`,
    )
    .requiredOption('--out <dir>', 'directory to write the checkpoint into')
    .option('--seed <n>', 'random seed of the weights', integer('--seed', 0, 2 ** 31 - 1), 0)
    .option(
      '--init-range <x>',
      `spread of the random weights (default ${TINY_TRAINABLE_INIT_RANGE} with --tiny, so LoRA visibly learns on it; 0.02 otherwise)`,
      (value: string) => {
        const range = Number(value);
        if (!(range > 0 && range <= 10))
          throw new InvalidArgumentError('--init-range is a number above 0, at most 10');
        return range;
      },
    )
    .option('--vocab <n>', 'vocab_size (at least 259 for the byte tokenizer)', integer('--vocab', 1, 1e6))
    .option('--hidden <n>', 'hidden_size', integer('--hidden', 2, 65536))
    .option('--intermediate <n>', 'intermediate_size', integer('--intermediate', 1, 262144))
    .option('--layers <n>', 'num_hidden_layers', integer('--layers', 1, 512))
    .option('--heads <n>', 'num_attention_heads', integer('--heads', 1, 512))
    .option('--kv-heads <n>', 'num_key_value_heads', integer('--kv-heads', 1, 512))
    .option('--tied', 'tie_word_embeddings (no lm_head.weight)')
    .addOption(new Option('--dtype <dtype>', 'stored dtype').choices(['F32', 'F16', 'BF16']).default('F32'))
    .option(
      '--shard-bytes <n>',
      'shard model.safetensors above this size (writes model.safetensors.index.json)',
      integer('--shard-bytes', 1, 2 ** 50),
    )
    .option('--lora-out <dir>', 'also write a random LoRA adapter (PEFT format) here')
    .option('--lora-r <n>', 'LoRA rank', integer('--lora-r', 1, 4096), 4)
    .option('--lora-alpha <n>', 'LoRA alpha', real('--lora-alpha', 0, 1e6), 8)
    .option(
      '--lora-targets <list>',
      `LoRA target modules, comma separated (${LINEAR_MODULES.join(',')})`,
      modules,
      ['q_proj', 'v_proj'] as LinearModule[],
    )
    .action(async (options: InitOptions) => {
      const backend = await initBackend();
      const tokenizerVocab = new ByteTokenizer().vocabSize;
      const init = {
        ...TINY_CONFIG,
        ...(options.vocab !== undefined && { vocabSize: options.vocab }),
        ...(options.hidden !== undefined && { hiddenSize: options.hidden }),
        ...(options.intermediate !== undefined && { intermediateSize: options.intermediate }),
        ...(options.layers !== undefined && { numLayers: options.layers }),
        ...(options.heads !== undefined && { numHeads: options.heads }),
        ...(options.kvHeads !== undefined && { numKvHeads: options.kvHeads }),
        ...(options.tied !== undefined && { tieWordEmbeddings: options.tied }),
      };
      if (options.heads !== undefined && options.kvHeads === undefined) init.numKvHeads = init.numHeads;
      const llama = initModel(
        init,
        options.seed,
        options.initRange ?? (options.tiny ? TINY_TRAINABLE_INIT_RANGE : 0.02),
      );
      const files = saveModel(llama, options.out, {
        dtype: options.dtype,
        maxShardBytes: options.shardBytes,
      });
      if (init.vocabSize >= tokenizerVocab) {
        await new ByteTokenizer({ vocabSize: init.vocabSize }).save(options.out);
        files.push('tokenizer.json', 'tokenizer_config.json');
      }
      if (options.loraOut) {
        const adapter = LoraAdapter.create(
          llama.config,
          {
            r: options.loraR,
            alpha: options.loraAlpha,
            dropout: 0,
            targetModules: options.loraTargets,
            baseModelNameOrPath: options.out,
          },
          options.seed + 1,
        );
        // A fresh adapter has B = 0 and changes nothing; random B makes a check against PEFT meaningful.
        adapter.randomizeB(options.seed + 2, 0.5);
        adapter.save(options.loraOut);
        adapter.dispose();
      }
      llama.dispose();
      process.stdout.write(
        `${JSON.stringify({ out: options.out, files, config: llama.config.json, adapter: options.loraOut ?? null, backend: backend.backend }, null, 2)}\n`,
      );
    });

  model
    .command('run')
    .description(
      'Generate from a prompt (text needs a tokenizer in the model directory) or token ids, or with --logits ' +
        'print {"ids": [...], "logits": [[...] per position]} as JSON (the final logits of every position).',
    )
    .requiredOption('--model <dir>', 'model directory (config.json + model.safetensors or shards)')
    .option(
      '--adapter <dir>',
      'PEFT LoRA adapter directory (adapter_config.json + adapter_model.safetensors)',
    )
    .option('--merge', 'merge the adapter into the base weights before running')
    .option('--prompt <text>', 'prompt text, encoded with the tokenizer in the model directory')
    .option('--ids <list>', 'prompt token ids, comma separated, e.g. 1,5,17 (used as given: no BOS added)')
    .option('--no-bos', 'do not prepend BOS to --prompt')
    .option('--max-tokens <n>', 'tokens to generate', integer('--max-tokens', 0, 1e6), 32)
    .option('--temperature <t>', '0 is greedy', real('--temperature', 0, 100), 0)
    .option('--top-k <k>', 'sample among the k most likely tokens', integer('--top-k', 1, 1e7))
    .option('--top-p <p>', 'nucleus sampling mass', real('--top-p', 0, 1))
    .option('--seed <n>', 'sampling seed', integer('--seed', 0, 2 ** 31 - 1), 0)
    .option('--logits', 'print the logits of every prompt position as JSON instead of generating')
    .option('--json', 'print the generation result (tokens, text, per-token probability and entropy) as JSON')
    .action(async (options: RunOptions) => {
      if ((options.prompt === undefined) === (options.ids === undefined)) {
        throw new Error('give exactly one of --prompt TEXT or --ids 1,5,17');
      }
      const backend = await initBackend();
      const llama = loadModel(options.model);
      try {
        if (options.adapter) {
          llama.lora = LoraAdapter.load(options.adapter, llama.config);
          if (options.merge) llama.lora.mergeInto(llama);
        }
        const tokenizer =
          options.prompt !== undefined || !options.logits
            ? await loadTokenizer(options.model).catch(() => undefined)
            : undefined;
        let ids: number[];
        if (options.ids !== undefined) {
          ids = options.ids.split(',').map((s, i) => {
            const id = Number(s.trim());
            if (!Number.isInteger(id)) throw new Error(`--ids: entry ${i + 1} ("${s}") is not an integer`);
            return id;
          });
        } else {
          if (!tokenizer)
            throw new Error(
              `${options.model}: --prompt needs a tokenizer (tokenizer.json, tokenizer.model) in the model directory; use --ids instead`,
            );
          ids = tokenizer.encode(options.prompt!, { addBos: options.bos });
        }
        if (options.logits) {
          const logits = llama.logits([ids])[0]!;
          process.stdout.write(`${JSON.stringify({ ids, logits })}\n`);
          return;
        }
        const stream = !options.json && tokenizer !== undefined;
        const generated: number[] = [];
        let printed = '';
        const result = generate(llama, ids, {
          maxTokens: options.maxTokens,
          temperature: options.temperature,
          topK: options.topK,
          topP: options.topP,
          seed: options.seed,
          stopTokenIds: tokenizer?.stopIds ?? llama.config.eosTokenIds,
          decode: tokenizer ? (t) => tokenizer.decode(t, { skipSpecialTokens: true }) : undefined,
          onToken: (token) => {
            if (!stream) return;
            generated.push(token.id);
            const text = tokenizer!.decode(generated, { skipSpecialTokens: true });
            // Print only complete characters: a multi-byte character may span tokens.
            if (!text.endsWith('\uFFFD')) {
              process.stdout.write(text.slice(printed.length));
              printed = text;
            }
          },
        });
        if (options.json || !tokenizer) {
          process.stdout.write(
            `${JSON.stringify({ backend: backend.backend, device: backend.device, promptIds: ids, ...result })}\n`,
          );
        } else {
          process.stdout.write(`${(result.text ?? '').slice(printed.length)}\n`);
        }
      } finally {
        llama.dispose();
      }
    });

  model
    .command('score')
    .description(
      'Score candidate answers to one prompt with a trained reward model (an unpacked reward-model artifact of a ' +
        '`reward-model` run): prints {"scores": [...]}, one number per answer in the order given. Higher is ' +
        'better; only differences between answers to the same prompt mean anything.',
    )
    .requiredOption(
      '--reward <dir>',
      'the unpacked reward-model artifact (reward_config.json, reward_head.safetensors, the adapter or full weights)',
    )
    .option(
      '--base <dir>',
      'the base model the reward model was trained on, with its tokenizer (needed for a LoRA reward model)',
    )
    .requiredOption('--prompt <text>', 'the instruction the answers reply to')
    .option('--input <text>', "the instruction's input text")
    .option('--system <text>', 'a system message')
    .requiredOption(
      '--answer <text>',
      'a candidate answer; give it once per answer',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--format <name>',
      'prompt format (default: the one the reward model was trained with, else alpaca)',
    )
    .action(async (options: ScoreOptions) => {
      if (options.answer.length === 0) throw new Error('give at least one --answer to score');
      await initBackend();
      const { model: llama, head, config } = loadRewardModel(options.reward, options.base);
      try {
        const tokenizerDir = options.base ?? options.reward;
        const tokenizer = await loadTokenizer(tokenizerDir).catch((error: unknown) => {
          throw new Error(
            `${tokenizerDir} holds no tokenizer (${(error as Error).message}); pass --base, the directory of the base model with its tokenizer`,
          );
        });
        const format = promptFormatByName(options.format ?? config.prompt_format ?? 'alpaca', tokenizer);
        const scores = scoreResponses(
          llama,
          head,
          tokenizer,
          format,
          {
            instruction: options.prompt,
            ...(options.input !== undefined ? { input: options.input } : {}),
            ...(options.system !== undefined ? { system: options.system } : {}),
          },
          options.answer,
        );
        process.stdout.write(`${JSON.stringify({ scores, answers: options.answer })}\n`);
      } finally {
        llama.dispose();
        head.dispose();
      }
    });

  model
    .command('upload <dir>')
    .description(
      'Register a Hugging Face checkpoint directory (config.json, weights, tokenizer files) as a base-model ' +
        'artifact through the API, so workers with no shared disk can fetch it: archived and hashed as it streams, ' +
        'checked again by the API. Prints the baseModel a run request names it by.',
    )
    .requiredOption('--name <name>', 'the base model name runs will show, e.g. llama-3-8b')
    .option(
      '--api <url>',
      "the platform's URL (default: the server running beside this command, found in TUNELEDGER_DATA_DIR)",
    )
    .option('--token <token>', 'an engineer or admin token; TUNELEDGER_TOKEN keeps it off the command line')
    .action(async (dir: string, options: { name: string; api?: string; token?: string }) => {
      const api = options.api ?? runningServer(loadConfig())?.apiUrl;
      if (!api) {
        throw new Error(
          "no platform to upload to: pass --api URL (or run this beside the server's TUNELEDGER_DATA_DIR)",
        );
      }
      const token = options.token ?? process.env.TUNELEDGER_TOKEN;
      if (!token)
        throw new Error('model upload needs an engineer or admin token: --token or TUNELEDGER_TOKEN');
      const uploaded = await uploadModelDirectory(new ApiClient({ url: api, token }), dir, options.name);
      process.stdout.write(`${JSON.stringify(uploaded)}\n`);
    });
};
