import { runStream, trainingRunDecider, type TrainingRunState } from '../../domain/index.js';
import type { RecordedEvent, StreamReader } from '../../eventstore/index.js';
import type { CommandContext, CommandResult } from '../../services/index.js';
import type { TrainingServices } from '../training/trainingJob.js';
import type { ApiClient } from './apiClient.js';
import { ApiStreams, keyOf, REFUSALS } from './apiStreams.js';

interface CommandPayload {
  streamId: string;
  version: number;
  replayed: boolean;
  eventIds: string[];
}

const PAYLOAD = `streamId version replayed eventIds ${REFUSALS}`;

/**
 * The training job's view of the platform for a worker with no database: each service call becomes the
 * worker mutation the API documents (docs/workers.md), streams are read with the `stream` query, and a
 * run's state is folded from its stream with the domain's own decider. Every mutation carries an
 * idempotencyKey (the caller's, or a fresh one per call), so the client's retries record nothing twice.
 * The worker id is the token's actor: the API refuses a worker that speaks for another.
 */
export class ApiTrainingServices implements TrainingServices, StreamReader {
  private readonly streams: ApiStreams;

  constructor(private readonly client: ApiClient) {
    this.streams = new ApiStreams(client);
  }

  readStream(streamId: string): Promise<readonly RecordedEvent[]> {
    return this.streams.readStream(streamId);
  }

  readonly runs: TrainingServices['runs'] = {
    getRun: (runId: string): Promise<TrainingRunState> =>
      this.streams.load(trainingRunDecider, runStream(runId)),

    claimRun: (input, context) =>
      this.claim(
        `mutation Claim($runId: ID!, $backend: String!, $device: String!, $leaseMs: Int!, $key: String) {
          claimTrainingRun(runId: $runId, backend: $backend, device: $device, leaseMs: $leaseMs, idempotencyKey: $key) { ${PAYLOAD} } }`,
        {
          runId: input.runId,
          backend: input.backend.name,
          device: input.backend.device,
          leaseMs: input.leaseMs,
        },
        context,
      ),

    renewLease: (input) =>
      this.record(
        `mutation Heartbeat($runId: ID!, $leaseMs: Int!) { heartbeat(runId: $runId, leaseMs: $leaseMs) { id ${REFUSALS} } }`,
        { runId: input.runId, leaseMs: input.leaseMs },
      ),

    startStage: (input, context) =>
      this.record(
        `mutation Stage($runId: ID!, $stageIndex: Int!, $steps: Int!, $key: String) {
          startStage(runId: $runId, stageIndex: $stageIndex, steps: $steps, idempotencyKey: $key) { id ${REFUSALS} } }`,
        { runId: input.runId, stageIndex: input.stageIndex, steps: input.steps },
        context,
      ),

    reportProgress: ({ runId, workerId: _workerId, ...progress }, context) =>
      this.record(
        `mutation Progress($runId: ID!, $input: ProgressInput!, $key: String) {
          reportProgress(runId: $runId, input: $input, idempotencyKey: $key) { id ${REFUSALS} } }`,
        { runId, input: progress },
        context,
      ),

    saveCheckpoint: (input, context) =>
      this.record(
        `mutation Checkpoint($runId: ID!, $step: Int!, $hash: String!, $byteSize: Float!, $key: String) {
          saveCheckpoint(runId: $runId, step: $step, artifactHash: $hash, byteSize: $byteSize, idempotencyKey: $key) { id ${REFUSALS} } }`,
        { runId: input.runId, step: input.step, hash: input.artifactHash, byteSize: input.byteSize },
        context,
      ),

    completeRun: ({ runId, workerId: _workerId, ...completion }, context) =>
      this.record(
        `mutation Complete($runId: ID!, $input: RunCompletionInput!, $key: String) {
          completeJob(runId: $runId, input: $input, idempotencyKey: $key) { id ${REFUSALS} } }`,
        {
          runId,
          input: {
            ...completion,
            artifact: { ...completion.artifact, kind: graphqlEnumName(completion.artifact.kind) },
          },
        },
        context,
      ),

    failRun: (input, context) =>
      this.record(
        `mutation Fail($runId: ID!, $reason: String!, $retryable: Boolean!, $key: String) {
          failJob(runId: $runId, reason: $reason, retryable: $retryable, idempotencyKey: $key) { id ${REFUSALS} } }`,
        { runId: input.runId, reason: input.reason, retryable: input.retryable },
        context,
      ),
  };

  readonly models: TrainingServices['models'] = {
    registerModelVersion: (input, context) =>
      this.record(
        `mutation Register($modelName: String!, $runId: ID!, $merged: String, $key: String) {
          registerModelVersion(modelName: $modelName, runId: $runId, mergedArtifact: $merged, idempotencyKey: $key) { id ${REFUSALS} } }`,
        { modelName: input.modelName, runId: input.runId, merged: input.mergedArtifact ?? null },
        context,
      ),
  };

  private record(mutation: string, variables: Record<string, unknown>, context?: CommandContext) {
    return this.streams.record(mutation, variables, context);
  }

  /**
   * The claim, answered as the services answer it: the stream, its version, and the events it recorded
   * (read back by id: the payload names them only), TrainingRunClaimed with the checkpoint to resume from.
   */
  private async claim(
    mutation: string,
    variables: Record<string, unknown>,
    context: CommandContext,
  ): Promise<CommandResult> {
    const answer = await this.client.graphql<{ claimTrainingRun: CommandPayload }>(mutation, {
      ...variables,
      key: keyOf(context),
    });
    const payload = answer.claimTrainingRun;
    const recorded = new Set(payload.eventIds);
    const events = (await this.readStream(payload.streamId)).filter((event) => recorded.has(event.eventId));
    return { streamId: payload.streamId, version: payload.version, replayed: payload.replayed, events };
  }
}

/**
 * The API's name of a domain value in one of its enums ('reward-model' is REWARD_MODEL), as docs/graphql.md
 * (Enums) states the rule.
 */
const graphqlEnumName = (value: string): string =>
  value
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
