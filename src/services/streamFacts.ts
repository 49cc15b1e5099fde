import {
  datasetDecider,
  datasetStream,
  evaluationDecider,
  evaluationStream,
  modelDecider,
  modelStream,
  retainedVersions,
  runStream,
  trainingRunDecider,
  type EvaluationFact,
  type ModelRef,
  type ModelVersionFact,
  type RegistryFacts,
  type TrainingRunFacts,
  type TrainingRunStatus,
} from '../domain/index.js';
import type { CommandHandler } from './commandHandler.js';

/**
 * What one aggregate needs to know about others, read from their streams (not from read models,
 * which may lag) and handed to decide as facts.
 */
export class StreamFacts {
  constructor(private readonly handler: CommandHandler) {}

  async dataset(datasetId: string): Promise<TrainingRunFacts['dataset']> {
    const { state } = await this.handler.load(datasetDecider, datasetStream(datasetId));
    if (state.status === 'none') return undefined;
    return {
      archived: state.status === 'archived',
      format: state.format ?? 'alpaca',
      revisions: state.revisions,
    };
  }

  async registry(modelName: string): Promise<RegistryFacts> {
    const { state } = await this.handler.load(modelDecider, modelStream(modelName));
    return {
      registered: state.versions.length,
      retained: retainedVersions(state).map((entry) => entry.version),
      rewardModels: state.versions
        .filter((entry) => entry.method === 'reward-model')
        .map((entry) => entry.version),
    };
  }

  async modelVersion(model: ModelRef): Promise<ModelVersionFact> {
    const registry = await this.registry(model.name);
    if (model.version < 1 || model.version > registry.registered) return 'missing';
    if (!registry.retained.includes(model.version)) return 'archived';
    return registry.rewardModels?.includes(model.version) ? 'reward-model' : 'retained';
  }

  async runStatus(runId: string): Promise<TrainingRunStatus> {
    return (await this.handler.load(trainingRunDecider, runStream(runId))).state.status;
  }

  async evaluation(evaluationId: string): Promise<EvaluationFact> {
    const { state } = await this.handler.load(evaluationDecider, evaluationStream(evaluationId));
    return {
      evaluationId,
      model: state.status === 'none' ? { name: '', version: 0 } : state.model,
      status: state.status,
      passed: (state.status === 'completed' && state.passed) || false,
    };
  }
}
