import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, Extensions, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import {
  worldAsOf,
  deploymentHistory,
  getDataset,
  getDeployment,
  getEvaluation,
  getInteraction,
  getJob,
  getModel,
  getRun,
  interactionLabels,
  listDatasetRevisions,
  listDatasets,
  listDeployments,
  listEvaluations,
  listInteractions,
  listJobs,
  listModels,
  listModelVersions,
  listRuns,
  modelAsOf,
  runCheckpoints,
  runMetrics,
  type EvaluationStatus,
  type JobKind,
  type JobStatus,
  type RunStatus,
} from '../../projections/index.js';
import type { TrainingMethodKind } from '../../domain/index.js';
import type { ApiContext } from '../context.js';
import { requireAction } from '../context.js';
import { listConnection, toConnection, type Connection } from '../types/connection.js';
import {
  DatasetConnection,
  DatasetRevisionConnection,
  DatasetType,
  toDataset,
  toDatasetRevision,
  type DatasetRevisionType,
} from '../types/dataset.type.js';
import {
  DeploymentConnection,
  DeploymentHistoryConnection,
  DeploymentType,
  fromDeploymentState,
  toDeployment,
  toDeploymentHistory,
  type DeploymentHistoryType,
} from '../types/deployment.type.js';
import { EvaluationConnection, EvaluationType, toEvaluation } from '../types/evaluation.type.js';
import {
  FeedbackLabelConnection,
  InteractionConnection,
  InteractionType,
  toFeedbackLabel,
  toInteraction,
  type FeedbackLabelType,
} from '../types/feedback.type.js';
import { JobConnection, JobType, toJob } from '../types/job.type.js';
import {
  fromVersionState,
  ModelConnection,
  ModelType,
  ModelVersionConnection,
  toModel,
  toModelVersion,
  type ModelVersionType,
} from '../types/model.type.js';
import {
  RunCheckpointConnection,
  RunConnection,
  runColumns,
  runMetricColumns,
  RunMetricConnection,
  RunType,
  toRun,
  toRunCheckpoint,
  toRunMetric,
  type RunCheckpointType,
  type RunMetricType,
} from '../types/run.type.js';
import {
  EvaluationStatusEnum,
  JobKindEnum,
  JobStatusEnum,
  RunStatusEnum,
  TrainingMethodKindEnum,
} from '../types/enums.js';
import { DateTime } from '../types/scalars.js';
import {
  afterArg,
  beforeArg,
  firstArg,
  lastArg,
  pageArgs,
  readPage,
  selectedNodeColumns,
  timeRange,
} from './paging.js';

const iso = (date: Date) => date.toISOString();

/** Versions folded from the log ride along on a model answered `asOf`. */
type ModelAnswer = ModelType & { asOfVersions?: ModelVersionType[] };

function read(context: ApiContext): void {
  requireAction(context, 'read', 'read');
}

@Resolver()
export class ReadModelResolver {
  @Query(() => DatasetConnection, {
    description: 'Datasets; archived ones only with includeArchived; filter by when they were registered.',
  })
  async datasets(
    @Ctx() context: ApiContext,
    @Arg('first', () => Int, firstArg(20)) first: number | undefined,
    @Arg('after', () => String, afterArg) after: string | undefined,
    @Arg('last', () => Int, lastArg) last: number | undefined,
    @Arg('before', () => String, beforeArg) before: string | undefined,
    @Arg('includeArchived', { defaultValue: false }) includeArchived: boolean,
    @Arg('registeredAfter', () => DateTime, {
      nullable: true,
      description: 'Only datasets registered strictly after this moment.',
    })
    registeredAfter: Date | undefined,
    @Arg('registeredBefore', () => DateTime, {
      nullable: true,
      description: 'Only datasets registered strictly before this moment.',
    })
    registeredBefore: Date | undefined,
  ) {
    read(context);
    const registered = timeRange(registeredAfter, registeredBefore, 'registeredAfter/registeredBefore');
    const page = await readPage(() =>
      listDatasets(context.deps.db, {
        ...pageArgs({ first, after, last, before }, 20),
        includeArchived,
        registered,
      }),
    );
    return toConnection(page, (r) => [iso(r.registered_at), r.dataset_id], toDataset);
  }

  @Query(() => DatasetType, {
    nullable: true,
    description: 'One dataset by its id, with its revisions; null when unknown.',
  })
  async dataset(@Ctx() context: ApiContext, @Arg('datasetId', () => ID) datasetId: string) {
    read(context);
    const row = await getDataset(context.deps.db, datasetId);
    return row ? toDataset(row) : null;
  }

  @Query(() => RunConnection, {
    description: 'Training runs, oldest first; filter by status, dataset, kind or when they were requested.',
  })
  async runs(
    @Ctx() context: ApiContext,
    @Arg('first', () => Int, firstArg(20)) first: number | undefined,
    @Arg('after', () => String, afterArg) after: string | undefined,
    @Arg('last', () => Int, lastArg) last: number | undefined,
    @Arg('before', () => String, beforeArg) before: string | undefined,
    @Arg('status', () => RunStatusEnum, { nullable: true }) status: RunStatus | undefined,
    @Arg('datasetId', () => ID, { nullable: true }) datasetId: string | undefined,
    @Arg('kind', () => TrainingMethodKindEnum, { nullable: true }) kind: TrainingMethodKind | undefined,
    @Arg('requestedAfter', () => DateTime, {
      nullable: true,
      description: 'Only runs requested strictly after this moment.',
    })
    requestedAfter: Date | undefined,
    @Arg('requestedBefore', () => DateTime, {
      nullable: true,
      description: 'Only runs requested strictly before this moment.',
    })
    requestedBefore: Date | undefined,
    @Info() info: GraphQLResolveInfo,
  ) {
    read(context);
    const requested = timeRange(requestedAfter, requestedBefore, 'requestedAfter/requestedBefore');
    const page = await readPage(() =>
      listRuns(context.deps.db, {
        ...pageArgs({ first, after, last, before }, 20),
        status,
        datasetId,
        kind,
        requested,
        columns: selectedNodeColumns(info, runColumns),
      }),
    );
    return toConnection(page, (r) => [iso(r.requested_at), r.run_id], toRun);
  }

  @Query(() => RunType, { nullable: true, description: 'One training run by its id; null when unknown.' })
  async run(@Ctx() context: ApiContext, @Arg('runId', () => ID) runId: string) {
    read(context);
    const row = await getRun(context.deps.db, runId);
    return row ? toRun(row) : null;
  }

  @Query(() => EvaluationConnection, {
    description: 'Evaluations; filter by model version, status or when they were requested.',
  })
  async evaluations(
    @Ctx() context: ApiContext,
    @Arg('first', () => Int, firstArg(20)) first: number | undefined,
    @Arg('after', () => String, afterArg) after: string | undefined,
    @Arg('last', () => Int, lastArg) last: number | undefined,
    @Arg('before', () => String, beforeArg) before: string | undefined,
    @Arg('modelName', () => String, { nullable: true }) modelName: string | undefined,
    @Arg('modelVersion', () => Int, { nullable: true }) modelVersion: number | undefined,
    @Arg('status', () => EvaluationStatusEnum, { nullable: true }) status: EvaluationStatus | undefined,
    @Arg('requestedAfter', () => DateTime, {
      nullable: true,
      description: 'Only evaluations requested strictly after this moment.',
    })
    requestedAfter: Date | undefined,
    @Arg('requestedBefore', () => DateTime, {
      nullable: true,
      description: 'Only evaluations requested strictly before this moment.',
    })
    requestedBefore: Date | undefined,
  ) {
    read(context);
    const requested = timeRange(requestedAfter, requestedBefore, 'requestedAfter/requestedBefore');
    const page = await readPage(() =>
      listEvaluations(context.deps.db, {
        ...pageArgs({ first, after, last, before }, 20),
        modelName,
        modelVersion,
        status,
        requested,
      }),
    );
    return toConnection(page, (r) => [iso(r.requested_at), r.evaluation_id], toEvaluation);
  }

  @Query(() => EvaluationType, {
    nullable: true,
    description: 'One evaluation by its id; null when unknown.',
  })
  async evaluation(@Ctx() context: ApiContext, @Arg('evaluationId', () => ID) evaluationId: string) {
    read(context);
    const row = await getEvaluation(context.deps.db, evaluationId);
    return row ? toEvaluation(row) : null;
  }

  @Query(() => ModelConnection, { description: 'The model registry.' })
  async models(
    @Ctx() context: ApiContext,
    @Arg('first', () => Int, firstArg(20)) first: number | undefined,
    @Arg('after', () => String, afterArg) after: string | undefined,
    @Arg('last', () => Int, lastArg) last: number | undefined,
    @Arg('before', () => String, beforeArg) before: string | undefined,
  ) {
    read(context);
    const page = await readPage(() =>
      listModels(context.deps.db, { ...pageArgs({ first, after, last, before }, 20) }),
    );
    return toConnection(page, (r) => [r.model_name], toModel);
  }

  @Query(() => ModelType, {
    nullable: true,
    description: 'A registered model; with asOf, as it stood then (folded from the log, not the read model).',
  })
  async model(
    @Ctx() context: ApiContext,
    @Arg('modelName') modelName: string,
    @Arg('asOf', () => DateTime, { nullable: true }) asOf: Date | undefined,
  ): Promise<ModelAnswer | null> {
    read(context);
    if (!asOf) {
      const row = await getModel(context.deps.db, modelName);
      return row ? toModel(row) : null;
    }
    const state = await modelAsOf(context.deps.store, modelName, asOf, {
      signal: context.deadline?.signal,
      snapshots: context.deps.db,
    });
    if (!state) return null;
    const versions = [...state.versions.values()].sort((a, b) => a.version - b.version).map(fromVersionState);
    return {
      modelName: state.modelName,
      latestVersion: state.latestVersion,
      stagingVersion: state.stagingVersion,
      productionVersion: state.productionVersion,
      registeredAt: versions[0]?.registeredAt ?? asOf,
      updatedAt: asOf,
      asOfVersions: versions,
    };
  }

  @Query(() => DeploymentConnection, { description: 'Deployments by name, with the version each serves.' })
  async deployments(
    @Ctx() context: ApiContext,
    @Arg('first', () => Int, firstArg(20)) first: number | undefined,
    @Arg('after', () => String, afterArg) after: string | undefined,
    @Arg('last', () => Int, lastArg) last: number | undefined,
    @Arg('before', () => String, beforeArg) before: string | undefined,
  ) {
    read(context);
    const page = await readPage(() =>
      listDeployments(context.deps.db, { ...pageArgs({ first, after, last, before }, 20) }),
    );
    return toConnection(page, (r) => [r.deployment_name], toDeployment);
  }

  @Query(() => DeploymentType, {
    nullable: true,
    description: 'A deployment; with asOf, as it stood then (folded from the log).',
  })
  async deployment(
    @Ctx() context: ApiContext,
    @Arg('deploymentName') deploymentName: string,
    @Arg('asOf', () => DateTime, { nullable: true }) asOf: Date | undefined,
  ) {
    read(context);
    if (!asOf) {
      const row = await getDeployment(context.deps.db, deploymentName);
      return row ? toDeployment(row) : null;
    }
    // The deployment alone: its lineage is not asked for here, so it is not walked.
    const world = await worldAsOf(context.deps.store, asOf, {
      signal: context.deadline?.signal,
      snapshots: context.deps.db,
    });
    const deployment = world.deployments.get(deploymentName);
    return deployment ? fromDeploymentState(deployment) : null;
  }

  @Query(() => InteractionConnection, { description: "Served interactions, the feedback flywheel's input." })
  async interactions(
    @Ctx() context: ApiContext,
    @Arg('first', () => Int, firstArg(20)) first: number | undefined,
    @Arg('after', () => String, afterArg) after: string | undefined,
    @Arg('last', () => Int, lastArg) last: number | undefined,
    @Arg('before', () => String, beforeArg) before: string | undefined,
    @Arg('modelName', () => String, { nullable: true }) modelName: string | undefined,
    @Arg('modelVersion', () => Int, { nullable: true }) modelVersion: number | undefined,
    @Arg('deploymentName', () => String, { nullable: true }) deploymentName: string | undefined,
    @Arg('labelledOnly', { defaultValue: false }) labelledOnly: boolean,
    @Arg('recordedAfter', () => DateTime, {
      nullable: true,
      description: 'Only interactions recorded strictly after this moment.',
    })
    recordedAfter: Date | undefined,
    @Arg('recordedBefore', () => DateTime, {
      nullable: true,
      description: 'Only interactions recorded strictly before this moment.',
    })
    recordedBefore: Date | undefined,
  ) {
    read(context);
    const recorded = timeRange(recordedAfter, recordedBefore, 'recordedAfter/recordedBefore');
    const page = await readPage(() =>
      listInteractions(context.deps.db, {
        ...pageArgs({ first, after, last, before }, 20),
        modelName,
        modelVersion,
        deploymentName,
        labelledOnly,
        recorded,
      }),
    );
    return toConnection(page, (r) => [iso(r.recorded_at), r.interaction_id], toInteraction);
  }

  @Query(() => InteractionType, {
    nullable: true,
    description: 'One served interaction (prompt, answer, filters, labels) by its id; null when unknown.',
  })
  async interaction(@Ctx() context: ApiContext, @Arg('interactionId', () => ID) interactionId: string) {
    read(context);
    const row = await getInteraction(context.deps.db, interactionId);
    return row ? toInteraction(row) : null;
  }

  @Query(() => JobConnection, {
    description: 'Worker jobs (training, evaluation, augmentation, deployment, rollback), with their leases.',
  })
  async jobs(
    @Ctx() context: ApiContext,
    @Arg('first', () => Int, firstArg(20)) first: number | undefined,
    @Arg('after', () => String, afterArg) after: string | undefined,
    @Arg('last', () => Int, lastArg) last: number | undefined,
    @Arg('before', () => String, beforeArg) before: string | undefined,
    @Arg('kind', () => JobKindEnum, { nullable: true }) kind: JobKind | undefined,
    @Arg('status', () => JobStatusEnum, { nullable: true }) status: JobStatus | undefined,
    @Arg('requestedAfter', () => DateTime, {
      nullable: true,
      description: 'Only jobs requested strictly after this moment.',
    })
    requestedAfter: Date | undefined,
    @Arg('requestedBefore', () => DateTime, {
      nullable: true,
      description: 'Only jobs requested strictly before this moment.',
    })
    requestedBefore: Date | undefined,
  ) {
    read(context);
    const requested = timeRange(requestedAfter, requestedBefore, 'requestedAfter/requestedBefore');
    const page = await readPage(() =>
      listJobs(context.deps.db, {
        ...pageArgs({ first, after, last, before }, 20),
        kind,
        status,
        requested,
      }),
    );
    return toConnection(page, (r) => [iso(r.requested_at), r.job_id], toJob);
  }

  @Query(() => JobType, { nullable: true, description: 'One worker job by its id; null when unknown.' })
  async job(@Ctx() context: ApiContext, @Arg('jobId', () => ID) jobId: string) {
    read(context);
    const row = await getJob(context.deps.db, jobId);
    return row ? toJob(row) : null;
  }
}

@Resolver(() => DatasetType)
export class DatasetFieldsResolver {
  @FieldResolver(() => DatasetRevisionConnection)
  async revisions(
    @Root() dataset: DatasetType,
    @Ctx() context: ApiContext,
    @Arg('first', () => Int, firstArg(20)) first: number | undefined,
    @Arg('after', () => String, afterArg) after: string | undefined,
    @Arg('last', () => Int, lastArg) last: number | undefined,
    @Arg('before', () => String, beforeArg) before: string | undefined,
  ): Promise<Connection<DatasetRevisionType>> {
    const page = await readPage(() =>
      listDatasetRevisions(context.deps.db, dataset.datasetId, {
        ...pageArgs({ first, after, last, before }, 20),
      }),
    );
    return toConnection(page, (r) => [r.revision], toDatasetRevision);
  }
}

@Resolver(() => RunType)
export class RunFieldsResolver {
  @FieldResolver(() => RunMetricConnection, { description: 'The loss curve and friends, by step.' })
  @Extensions({ defaultPageSize: 100 })
  async metrics(
    @Root() run: RunType,
    @Ctx() context: ApiContext,
    @Arg('first', () => Int, firstArg(100)) first: number | undefined,
    @Arg('after', () => String, afterArg) after: string | undefined,
    @Arg('last', () => Int, lastArg) last: number | undefined,
    @Arg('before', () => String, beforeArg) before: string | undefined,
    @Arg('fromStep', () => Int, { nullable: true }) fromStep: number | undefined,
    @Arg('toStep', () => Int, { nullable: true }) toStep: number | undefined,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Connection<RunMetricType>> {
    const columns = selectedNodeColumns(info, runMetricColumns);
    const page = await readPage(() =>
      runMetrics(context.deps.db, run.runId, {
        ...pageArgs({ first, after, last, before }, 100),
        fromStep,
        toStep,
        columns,
      }),
    );
    return toConnection(page, (r) => [r.step], toRunMetric);
  }

  @FieldResolver(() => RunCheckpointConnection)
  async checkpoints(
    @Root() run: RunType,
    @Ctx() context: ApiContext,
  ): Promise<Connection<RunCheckpointType>> {
    const rows = await runCheckpoints(context.deps.db, run.runId);
    return listConnection(rows.map(toRunCheckpoint), (checkpoint) => String(checkpoint.step));
  }
}

@Resolver(() => ModelType)
export class ModelFieldsResolver {
  @FieldResolver(() => ModelVersionConnection)
  async versions(
    @Root() model: ModelAnswer,
    @Ctx() context: ApiContext,
    @Arg('first', () => Int, firstArg(20)) first: number | undefined,
    @Arg('after', () => String, afterArg) after: string | undefined,
    @Arg('last', () => Int, lastArg) last: number | undefined,
    @Arg('before', () => String, beforeArg) before: string | undefined,
    @Arg('retainedOnly', { defaultValue: false }) retainedOnly: boolean,
  ): Promise<Connection<ModelVersionType>> {
    if (model.asOfVersions) {
      const versions = model.asOfVersions.filter((version) => !retainedOnly || version.retained);
      return listConnection(versions, (version) => String(version.version));
    }
    const page = await readPage(() =>
      listModelVersions(context.deps.db, model.modelName, {
        ...pageArgs({ first, after, last, before }, 20),
        retainedOnly,
      }),
    );
    return toConnection(page, (r) => [r.version], toModelVersion);
  }
}

@Resolver(() => DeploymentType)
export class DeploymentFieldsResolver {
  @FieldResolver(() => DeploymentHistoryConnection, {
    description: 'Who deployed or rolled back what, when and why.',
  })
  async history(
    @Root() deployment: DeploymentType,
    @Ctx() context: ApiContext,
    @Arg('first', () => Int, firstArg(20)) first: number | undefined,
    @Arg('after', () => String, afterArg) after: string | undefined,
    @Arg('last', () => Int, lastArg) last: number | undefined,
    @Arg('before', () => String, beforeArg) before: string | undefined,
    @Arg('recordedAfter', () => DateTime, {
      nullable: true,
      description: 'Only entries recorded strictly after this moment.',
    })
    recordedAfter: Date | undefined,
    @Arg('recordedBefore', () => DateTime, {
      nullable: true,
      description: 'Only entries recorded strictly before this moment.',
    })
    recordedBefore: Date | undefined,
  ): Promise<Connection<DeploymentHistoryType>> {
    const recorded = timeRange(recordedAfter, recordedBefore, 'recordedAfter/recordedBefore');
    const page = await readPage(() =>
      deploymentHistory(context.deps.db, deployment.deploymentName, {
        ...pageArgs({ first, after, last, before }, 20),
        recorded,
      }),
    );
    return toConnection(page, (r) => [r.stream_version], toDeploymentHistory);
  }
}

@Resolver(() => InteractionType)
export class InteractionFieldsResolver {
  @FieldResolver(() => FeedbackLabelConnection)
  async labels(
    @Root() interaction: InteractionType,
    @Ctx() context: ApiContext,
  ): Promise<Connection<FeedbackLabelType>> {
    const rows = await interactionLabels(context.deps.db, interaction.interactionId);
    return listConnection(rows.map(toFeedbackLabel), (label) => label.eventId);
  }
}
