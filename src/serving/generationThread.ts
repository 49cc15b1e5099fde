/**
 * The body of a generation thread (see generationPool.ts): holds loaded models, each with a continuous batcher
 * that decodes every request in flight together, one step at a time; between steps the thread reads its
 * messages, so new requests join and cancelled ones leave at the next step.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  ContinuousBatcher,
  initBackend,
  loadModel,
  LoraAdapter,
  type BatchedSequence,
  type LlamaModel,
} from '../ml/index.js';
import { promptFormatByName, type PromptFormat } from '../ml/prompts/index.js';
import { loadTokenizer, type Tokenizer } from '../ml/tokenizers/index.js';
import {
  type BatchSettings,
  type ChatMessage,
  type FromThread,
  type GenerationInput,
  type GenerationRefusal,
  type ModelFiles,
  type ToThread,
} from './generationProtocol.js';

interface Loaded {
  readonly model: LlamaModel;
  readonly tokenizer: Tokenizer;
  readonly format: PromptFormat;
  readonly batcher: ContinuousBatcher;
}

const port = parentPort!;
const batch = (workerData as { batch: BatchSettings }).batch;
const models = new Map<string, Loaded>();
/** Requests in flight (waiting to join or in a batch), by request id. */
const inFlight = new Map<number, BatchedSequence>();
let stepping = false;
/** When the step now running (or the last one, while more are scheduled) began; undefined when idle. */
let stepStartedAt: number | undefined;
let backend = 'unknown';

const send = (message: FromThread) => port.postMessage(message);

async function load(files: ModelFiles): Promise<void> {
  if (models.has(files.key)) return;
  backend = (await initBackend()).backend;
  const model = loadModel(files.baseDir);
  if (files.adapterDir) {
    const adapter = LoraAdapter.load(files.adapterDir, model.config);
    // Merged once at load: generation then costs what the base alone costs.
    adapter.mergeInto(model);
    adapter.dispose();
  }
  const tokenizer = await loadTokenizer(files.baseDir);
  models.set(files.key, {
    model,
    tokenizer,
    format: promptFormatByName(files.promptFormat ?? 'alpaca', tokenizer),
    batcher: new ContinuousBatcher(model, batch),
  });
}

/** Runs steps while any model has work, yielding to the event loop between steps to take new messages. */
function schedule(): void {
  if (stepping) return;
  stepping = true;
  setImmediate(step);
}

function step(): void {
  stepping = false;
  stepStartedAt = performance.now();
  let busy = false;
  for (const { batcher } of models.values()) {
    if (batcher.idle) continue;
    batcher.step();
    busy ||= !batcher.idle;
  }
  if (busy) schedule();
  else stepStartedAt = undefined;
}

/** Chat messages as the record a prompt format renders: system, earlier turns as history, the last user turn. */
function chatPrompt(messages: readonly ChatMessage[], loaded: Loaded): string {
  const system = messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n\n');
  const turns = messages.filter((m) => m.role !== 'system');
  const lastUser = turns.map((m) => m.role).lastIndexOf('user');
  const history: [string, string][] = [];
  let pendingUser: string | undefined;
  for (const message of turns.slice(0, Math.max(lastUser, 0))) {
    if (message.role === 'user') pendingUser = message.content;
    else {
      history.push([pendingUser ?? '', message.content]);
      pendingUser = undefined;
    }
  }
  const instruction = lastUser >= 0 ? turns[lastUser]!.content : '';
  return loaded.format.renderPrompt(
    { instruction, ...(system ? { system } : {}), ...(history.length > 0 ? { history } : {}) },
    loaded.tokenizer,
  );
}

/** OpenAI's context_length_exceeded, with its wording, so clients that parse it understand it. */
class PromptTooLong extends Error {
  readonly refusal: GenerationRefusal;
  constructor(contextLength: number, promptTokens: number, input: GenerationInput) {
    const completion = input.maxTokensRequested ? input.maxTokens : 0;
    const where = input.prompt.kind === 'chat' ? 'messages' : 'prompt';
    super(
      `This model's maximum context length is ${contextLength} tokens. However, you requested ${promptTokens + completion} tokens ` +
        `(${promptTokens} in the ${where}, ${completion} in the completion). Please reduce the length of the ${where} or completion.`,
    );
    this.refusal = { code: 'context_length_exceeded', contextLength, promptTokens, maxTokens: completion };
  }
}

/** Queues a request on its model's batcher; answers with deltas (streaming) and 'done' as it finishes. */
function submit(requestId: number, input: GenerationInput, postedAt: number): void {
  const started = performance.now();
  // A request posted while a step ran waited for that step (the batch's wait, not the message's): from when it
  // was posted or the step began, whichever is later. The clock is shared: timeOrigin + now in both threads.
  const posted = postedAt - performance.timeOrigin;
  const stepWaitMs =
    stepStartedAt === undefined
      ? 0
      : Math.max(0, started - Math.min(started, Math.max(posted, stepStartedAt)));
  const loaded = models.get(input.key);
  if (!loaded) throw new Error(`model ${input.key} is not loaded in this generation thread`);
  const { model, tokenizer } = loaded;
  const ids =
    input.prompt.kind === 'chat'
      ? tokenizer.encode(chatPrompt(input.prompt.messages, loaded))
      : tokenizer.encode(input.prompt.text, { addBos: true });
  // Never cut a prompt silently: one that leaves no room for the completion is the client's to shorten.
  const contextLength = model.config.maxPositionEmbeddings;
  const needed = ids.length + (input.maxTokensRequested ? input.maxTokens : 1);
  if (needed > contextLength) throw new PromptTooLong(contextLength, ids.length, input);
  const maxTokens = Math.min(input.maxTokens, contextLength - ids.length);
  const decode = (tokens: readonly number[]) => tokenizer.decode(tokens, { skipSpecialTokens: true });
  let sent = '';
  const produced: number[] = [];
  const holdBack = Math.max(0, ...(input.stop ?? []).map((s) => s.length - 1));
  const sequence = loaded.batcher.submit(
    ids,
    {
      maxTokens,
      temperature: input.temperature ?? 0,
      topP: input.topP,
      seed: input.seed,
      stopTokenIds: tokenizer.stopIds,
      ...(input.stop && input.stop.length > 0 ? { stopSequences: input.stop } : {}),
      decode,
      onToken: (token) => {
        if (!input.stream) return;
        produced.push(token.id);
        // Stream whole characters only (a byte token may end inside a UTF-8 sequence), and hold back as many
        // characters as the longest stop string, so a stop string is never half sent.
        const decoded = decode(produced);
        const safe = decoded.endsWith('\uFFFD') ? decoded.length - 1 : decoded.length;
        const until = Math.max(sent.length, safe - holdBack);
        if (until > sent.length) {
          send({ type: 'delta', requestId, text: decoded.slice(sent.length, until) });
          sent = decoded.slice(0, until);
        }
      },
    },
    (result) => {
      inFlight.delete(requestId);
      const text = result.text ?? decode(result.tokens);
      if (input.stream && !result.cancelled && text.length > sent.length && text.startsWith(sent)) {
        send({ type: 'delta', requestId, text: text.slice(sent.length) });
      }
      const entropies = result.details.map((d) => d.entropy);
      send({
        type: 'done',
        requestId,
        output: {
          text,
          promptTokens: ids.length,
          completionTokens: result.tokens.length,
          meanTokenEntropy:
            entropies.length > 0 ? entropies.reduce((a, b) => a + b, 0) / entropies.length : 0,
          finishReason: result.cancelled ? 'cancelled' : result.finishReason === 'length' ? 'length' : 'stop',
          modelMs: performance.now() - started,
          stepWaitMs,
          meanBatchSize: result.meanBatchSize,
        },
      });
    },
    (error) => {
      inFlight.delete(requestId);
      send({ type: 'failed', requestId, message: error.message });
    },
  );
  inFlight.set(requestId, sequence);
  schedule();
}

port.on('message', (message: ToThread) => {
  void (async () => {
    try {
      switch (message.type) {
        case 'load':
          await load(message.files);
          send({ type: 'loaded', requestId: message.requestId, backend });
          return;
        case 'unload': {
          const loaded = models.get(message.key);
          loaded?.batcher.dispose();
          loaded?.model.dispose();
          models.delete(message.key);
          send({ type: 'unloaded', requestId: message.requestId });
          return;
        }
        case 'generate':
          submit(message.requestId, message.input, message.postedAt);
          return;
        case 'cancel':
          inFlight.get(message.requestId)?.cancel();
          return;
      }
    } catch (error) {
      send({
        type: 'failed',
        requestId: message.requestId,
        message: error instanceof Error ? error.message : String(error),
        ...(error instanceof PromptTooLong ? { refusal: error.refusal } : {}),
      });
    }
  })();
});
send({ type: 'ready' });
