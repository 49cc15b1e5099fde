/**
 * One measurement for bench/batcher.ts, in its own process: `node dist/bench/batcherChild.js <ml index>
 * <concurrency> <same|mixed|chat>` loads ContinuousBatcher from the given build of src/ml (this one or a baseline's
 * dist), keeps <concurrency> requests in flight on the tiny model (a new one is submitted as each finishes),
 * and prints the process CPU per request at steady state as one JSON line.
 */
import { pathToFileURL } from 'node:url';

interface Ml {
  initBackend(): Promise<{ device: string }>;
  initModel(): { config: { vocabSize: number } };
  ContinuousBatcher: new (model: unknown) => {
    submit(
      prompt: readonly number[],
      options: { maxTokens: number; stopTokenIds: number[] },
      finish: () => void,
      fail: (error: Error) => void,
    ): unknown;
    step(): void;
  };
}

const [mlPath, concurrencyArg, lengths] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
if (
  !mlPath ||
  !Number.isInteger(concurrency) ||
  concurrency < 1 ||
  (lengths !== 'same' && lengths !== 'mixed' && lengths !== 'chat')
) {
  process.stderr.write(
    'usage: node dist/bench/batcherChild.js <ml index.js> <concurrency> <same|mixed|chat>\n',
  );
  process.exit(2);
}
const ml = (await import(pathToFileURL(mlPath).href)) as Ml;
const backend = await ml.initBackend();
const model = ml.initModel();
const batcher = new ml.ContinuousBatcher(model);
const vocab = model.config.vocabSize;
/**
 * 40 shared tokens (a chat template's preamble), then 20 of the request's own; mixed: 60 to 62 in all. chat: the
 * shape of the serve bench's prompts (the alpaca template around a question, byte tokens): 130 shared, then
 * 80 of the request's own.
 */
const shape = lengths === 'chat' ? { shared: 130, own: 80 } : { shared: 40, own: 20 };
const preamble = Array.from({ length: shape.shared }, (_, t) => 3 + ((t * 7) % (vocab - 3)));
const promptOf = (i: number) => [
  ...preamble,
  ...Array.from(
    { length: shape.own + (lengths === 'mixed' ? i % 3 : 0) },
    (_, t) => 3 + ((i * 31 + t * 13) % (vocab - 3)),
  ),
];
const warmup = Math.max(16, 2 * concurrency);
const measured = Math.max(64, 6 * concurrency);
let submitted = 0;
let finished = 0;
let cpuAtWarm = 0;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const submit = () => {
  const i = submitted++;
  batcher.submit(
    promptOf(i),
    { maxTokens: 16, stopTokenIds: [] },
    () => {
      finished++;
      if (finished === warmup) cpuAtWarm = cpu();
      if (submitted < warmup + measured + concurrency) submit();
    },
    (error) => {
      throw error;
    },
  );
};
for (let i = 0; i < concurrency; i++) submit();
while (finished < warmup + measured) batcher.step();
const counts = batcher as unknown as Record<string, number | undefined>;
process.stdout.write(
  `${JSON.stringify({
    backend: backend.device,
    cpuMsPerRequest: (cpu() - cpuAtWarm) / measured,
    meanBatch: counts.rowsStepped! / counts.steps!,
    reusedPromptShare: counts.reusedPromptTokens! / counts.promptTokens!,
    prefillPasses: counts.prefillPasses ?? null,
  })}\n`,
);
