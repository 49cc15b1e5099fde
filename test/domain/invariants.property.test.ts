import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DomainError,
  datasetDecider,
  deploymentDecider,
  eventRegistry,
  modelDecider,
  trainingRunDecider,
  type Decider,
  type DomainEvent,
  type ModelCommand,
  type ModelEvent,
  type TrainingRunCommand,
  type TrainingRunEvent,
  type DatasetCommand,
  type DatasetEvent,
  type DeploymentCommand,
  type DeploymentEvent,
} from '../../src/domain/index.js';
import { at, hash } from './support.js';
import { progressFields, requestCommand } from './trainingRun.fixtures.js';

/**
 * Runs commands through a decider the way a service would: refused commands change nothing,
 * accepted ones append their events. Only DomainErrors may be thrown.
 */
function play<C, E extends DomainEvent, S>(
  decider: Decider<C, E, S>,
  commands: readonly C[],
  afterEach: (log: readonly E[]) => void,
) {
  const log: E[] = [];
  let state = decider.initialState();
  for (const command of commands) {
    let produced: readonly E[];
    try {
      produced = decider.decide(command, state);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      continue;
    }
    for (const event of produced) {
      eventRegistry.validate(event.type, event.data);
      log.push(event);
      state = decider.evolve(state, event);
    }
    afterEach(log);
  }
  return log;
}

// Mostly one worker, sometimes a second that competes for the run.
const worker = fc.oneof(
  { arbitrary: fc.constant('w1'), weight: 4 },
  { arbitrary: fc.constant('w2'), weight: 1 },
);
const step = fc.integer({ min: 0, max: 40 });

/** A command that happens at minute `now`; sequences advance a clock so leases can live and lapse. */
type Timed = (now: number) => TrainingRunCommand;

const claim = fc
  .record({ workerId: worker, lease: fc.integer({ min: 2, max: 12 }) })
  .map(({ workerId, lease }): Timed => (now) => ({
    type: 'ClaimTrainingRun',
    runId: 'r1',
    workerId,
    backend: { name: 'wasm', device: 'cpu' },
    leaseUntil: at(now + lease),
    at: at(now),
  }));
const renew = worker.map((workerId): Timed => (now) => ({
  type: 'RenewTrainingRunLease',
  runId: 'r1',
  workerId,
  leaseUntil: at(now + 5),
  at: at(now),
}));
const expire = fc.constant<Timed>((now) => ({ type: 'ExpireTrainingRunLease', runId: 'r1', at: at(now) }));
const startStage = fc
  .record({ workerId: worker, stageIndex: fc.integer({ min: 0, max: 1 }) })
  .map(({ workerId, stageIndex }): Timed => (now) => ({
    type: 'StartTrainingStage',
    runId: 'r1',
    workerId,
    stageIndex,
    steps: 100,
    at: at(now),
  }));
const report = fc
  .record({
    workerId: worker,
    step: fc.integer({ min: 1, max: 40 }),
    stageIndex: fc.integer({ min: 0, max: 1 }),
  })
  .map(({ workerId, step, stageIndex }): Timed => (now) => ({
    type: 'ReportTrainingProgress',
    workerId,
    ...progressFields(step, stageIndex),
    at: at(now),
  }));
const save = fc
  .record({ workerId: worker, step: fc.integer({ min: 0, max: 20 }) })
  .map(({ workerId, step }): Timed => (now) => ({
    type: 'SaveCheckpoint',
    runId: 'r1',
    workerId,
    step,
    artifactHash: hash(`ck${step}`),
    byteSize: 10,
    at: at(now),
  }));
const complete = fc.record({ workerId: worker, steps: step }).map(({ workerId, steps }): Timed => (now) => ({
  type: 'CompleteTrainingRun',
  runId: 'r1',
  workerId,
  artifact: { kind: 'adapter', hash: hash('a'), byteSize: 1 },
  finalLoss: 1,
  steps,
  durationMs: 1,
  tokensSeen: 1,
  at: at(now),
}));
const fail = fc.option(worker, { nil: undefined }).map((workerId): Timed => (now) => ({
  type: 'FailTrainingRun',
  runId: 'r1',
  ...(workerId ? { workerId } : {}),
  reason: 'oom',
  retryable: true,
  at: at(now),
}));
const cancel = fc.constant<Timed>((now) => ({
  type: 'CancelTrainingRun',
  runId: 'r1',
  reason: 'x',
  cancelledBy: 'ana',
  at: at(now),
}));
const request = fc.constant<Timed>((now) => ({ ...requestCommand, at: at(now) }));

// Ending commands are rare so that sequences get far enough to claim, train, lapse and resume.
const runCommand: fc.Arbitrary<Timed> = fc.oneof(
  { arbitrary: request, weight: 1 },
  { arbitrary: claim, weight: 10 },
  { arbitrary: renew, weight: 8 },
  { arbitrary: expire, weight: 3 },
  { arbitrary: startStage, weight: 10 },
  { arbitrary: report, weight: 30 },
  { arbitrary: save, weight: 16 },
  { arbitrary: complete, weight: 1 },
  { arbitrary: fail, weight: 1 },
  { arbitrary: cancel, weight: 1 },
);

/** Commands in time order: each one 0 to 2 minutes after the previous. */
const runCommands = fc
  .array(fc.tuple(runCommand, fc.integer({ min: 0, max: 2 })), { minLength: 5, maxLength: 80, size: 'max' })
  .map((timed) => {
    let now = 0;
    return timed.map(([command, delta]) => command((now += delta)));
  });

function checkRunLog(log: readonly TrainingRunEvent[]): void {
  const terminal = log.filter((event) =>
    ['TrainingRunCompleted', 'TrainingRunFailed', 'TrainingRunCancelled'].includes(event.type),
  );
  expect(terminal.length).toBeLessThanOrEqual(1);
  if (terminal.length === 1) expect(log.at(-1)).toBe(terminal[0]);
  expect(log.filter((event) => event.type === 'TrainingRunRequested').length).toBeLessThanOrEqual(1);
  let attempt = 0;
  let floor = 0;
  let lastCheckpoint = -1;
  for (const event of log) {
    switch (event.type) {
      case 'TrainingRunClaimed':
        expect(event.data.attempt).toBe(attempt + 1);
        attempt = event.data.attempt;
        // A resumed attempt starts from the last checkpoint, never from nowhere.
        expect(event.data.resumeFrom?.step ?? -1).toBe(lastCheckpoint);
        floor = event.data.resumeFrom?.step ?? 0;
        break;
      case 'TrainingProgressReported':
        expect(event.data.attempt).toBe(attempt);
        expect(event.data.step).toBeGreaterThan(floor);
        floor = event.data.step;
        break;
      case 'CheckpointSaved':
        expect(event.data.step).toBeGreaterThan(lastCheckpoint);
        expect(event.data.step).toBeLessThanOrEqual(floor);
        lastCheckpoint = event.data.step;
        break;
      default:
        break;
    }
  }
}

describe('invariants under random command sequences', () => {
  it('training run: one request, one end at the end, steps forward within an attempt, resume from the last checkpoint', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(runCommands, (commands) => {
        const log = play(trainingRunDecider, [requestCommand, ...commands], checkRunLog);
        for (const event of log) {
          const key = event.type === 'TrainingRunClaimed' && event.data.resumeFrom ? 'resumed' : event.type;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
      }),
      { numRuns: 300 },
    );
    // The sequences must reach the interesting states, or the property proves nothing.
    for (const type of [
      'TrainingProgressReported',
      'CheckpointSaved',
      'TrainingRunLeaseExpired',
      'resumed',
      'TrainingRunCompleted',
    ]) {
      expect(seen.get(type) ?? 0, type).toBeGreaterThan(0);
    }
  });

  it('model registry: at most 3 retained, one production, versions 1..n, production never archived', () => {
    const modelCommand: fc.Arbitrary<ModelCommand> = fc.oneof(
      fc
        .record({
          run: fc.integer({ min: 1, max: 30 }),
          status: fc.constantFrom('completed', 'completed', 'failed'),
        })
        .map(({ run, status }): ModelCommand => ({
          type: 'RegisterModelVersion',
          modelName: 'm',
          runId: `r${run}`,
          baseModel: 'tiny',
          artifacts: {},
          trainingSummary: { datasetId: 'd', datasetRevision: 1, method: 'lora', finalLoss: 1, steps: 1 },
          facts: { runStatus: status },
          at: at(0),
        })),
      fc
        .record({
          version: fc.integer({ min: 1, max: 12 }),
          stage: fc.constantFrom('staging' as const, 'production' as const),
          evaluated: fc.integer({ min: 0, max: 12 }),
          passed: fc.boolean(),
          admin: fc.boolean(),
          override: fc.boolean(),
        })
        .map(({ version, stage, evaluated, passed, admin, override }): ModelCommand => ({
          type: 'PromoteModelVersion',
          modelName: 'm',
          version,
          stage,
          approvedBy: 'ana',
          evaluations: [
            {
              evaluationId: `e${evaluated}`,
              model: { name: 'm', version: evaluated },
              status: 'completed',
              passed,
            },
          ],
          ...(override ? { override: { reason: 'urgent' } } : {}),
          approverIsAdmin: admin,
          at: at(1),
        })),
      fc.integer({ min: 1, max: 12 }).map((version): ModelCommand => ({
        type: 'ArchiveModelVersion',
        modelName: 'm',
        version,
        at: at(2),
      })),
    );
    fc.assert(
      fc.property(fc.array(modelCommand, { maxLength: 60 }), (commands) => {
        play(modelDecider, commands, (log: readonly ModelEvent[]) => {
          const archived = new Set<number>();
          const stage = new Map<number, string>();
          let versions = 0;
          for (const event of log) {
            if (event.type === 'ModelVersionRegistered') {
              versions += 1;
              expect(event.data.version).toBe(versions);
            } else if (event.type === 'ModelVersionArchived') {
              expect(stage.get(event.data.version)).not.toBe('production');
              expect(archived.has(event.data.version)).toBe(false);
              archived.add(event.data.version);
            } else {
              expect(archived.has(event.data.version)).toBe(false);
              if (event.data.stage === 'production') {
                const evidenced = event.data.evidence.evaluationIds.includes(`e${event.data.version}`);
                expect(evidenced || event.data.override !== undefined).toBe(true);
                for (const [version, current] of stage)
                  if (current === 'production') stage.set(version, 'staging');
              }
              stage.set(event.data.version, event.data.stage);
            }
          }
          expect(versions - archived.size).toBeLessThanOrEqual(3);
          expect(
            [...stage.entries()].filter(([version, s]) => s === 'production' && !archived.has(version))
              .length,
          ).toBeLessThanOrEqual(1);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('dataset: revisions 1..n with existing parents, nothing after the archive', () => {
    const datasetCommand: fc.Arbitrary<DatasetCommand> = fc.oneof(
      fc.constant<DatasetCommand>({
        type: 'RegisterDataset',
        datasetId: 'd',
        name: 'D',
        format: 'alpaca',
        at: at(0),
      }),
      fc
        .record({
          revision: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
          parent: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
        })
        .map(({ revision, parent }): DatasetCommand => ({
          type: 'AddDatasetRevision',
          datasetId: 'd',
          ...(revision ? { revision } : {}),
          ...(parent ? { parentRevision: parent } : {}),
          contentHash: hash('x'),
          recordCount: 1,
          byteSize: 1,
          splits: { train: { hash: hash('t'), recordCount: 1, byteSize: 1 } },
          transform: { kind: 'ingest', params: {} },
          piiReport: { counts: {} },
          qualityReport: { rejected: [] },
          at: at(1),
        })),
      fc.constant<DatasetCommand>({ type: 'ArchiveDataset', datasetId: 'd', reason: 'old', at: at(2) }),
    );
    fc.assert(
      fc.property(fc.array(datasetCommand, { maxLength: 40 }), (commands) => {
        play(datasetDecider, commands, (log: readonly DatasetEvent[]) => {
          expect(log[0]?.type).toBe('DatasetRegistered');
          let revisions = 0;
          let archived = false;
          for (const event of log) {
            expect(archived).toBe(false);
            if (event.type === 'DatasetRevisionAdded') {
              revisions += 1;
              expect(event.data.revision).toBe(revisions);
              if (event.data.parentRevision !== undefined)
                expect(event.data.parentRevision).toBeLessThan(revisions);
            }
            if (event.type === 'DatasetArchived') archived = true;
          }
        });
      }),
      { numRuns: 200 },
    );
  });
  it('deployment: activation only of retained versions, rollbacks to a retained non-active version, one at a time', () => {
    // The registry moves on between commands: versions get registered and archived.
    const registry = fc.record({
      registered: fc.integer({ min: 1, max: 6 }),
      archivedBelow: fc.integer({ min: 1, max: 4 }),
    });
    const retainedOf = ({ registered, archivedBelow }: { registered: number; archivedBelow: number }) =>
      Array.from({ length: registered }, (_, index) => index + 1).filter(
        (version) => version >= archivedBelow,
      );
    // Rollback ids come from a small set, so CompleteRollback often names the pending one and
    // every run of this test reaches RolledBack (ids drawn from 0..300 made that a 1-in-8 chance).
    const rollbackId = fc.constantFrom('rb-a', 'rb-b');
    const deploymentCommand: fc.Arbitrary<DeploymentCommand> = fc.oneof(
      fc
        .record({ version: fc.integer({ min: 1, max: 6 }), registry })
        .map(({ version, registry }): DeploymentCommand => ({
          type: 'RequestDeployment',
          deploymentName: 'prod',
          model: { name: 'm', version },
          environment: 'production',
          registry: { registered: registry.registered, retained: retainedOf(registry) },
          at: at(0),
        })),
      registry.map((registry): DeploymentCommand => ({
        type: 'ActivateDeployment',
        deploymentName: 'prod',
        endpoint: 'e',
        registry: { registered: registry.registered, retained: retainedOf(registry) },
        at: at(1),
      })),
      fc
        .record({ current: fc.integer({ min: 0, max: 300 }), rollbackId, registry })
        .map(({ current, rollbackId, registry }): DeploymentCommand => ({
          type: 'DetectDegradation',
          deploymentName: 'prod',
          metric: 'latency',
          baseline: 100,
          current,
          window: { from: at(0), to: at(1), samples: 10 },
          policy: { maxChangePct: 50 },
          rollbackId,
          registry: { registered: registry.registered, retained: retainedOf(registry) },
          at: at(2),
        })),
      fc
        .record({
          toVersion: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
          rollbackId,
          registry,
        })
        .map(({ toVersion, rollbackId, registry }): DeploymentCommand => ({
          type: 'RequestRollback',
          deploymentName: 'prod',
          rollbackId,
          ...(toVersion ? { toVersion } : {}),
          reason: 'worse',
          registry: { registered: registry.registered, retained: retainedOf(registry) },
          at: at(3),
        })),
      fc.constantFrom('rb-a', 'rb-b', 'rb-never-requested').map((rollbackId): DeploymentCommand => ({
        type: 'CompleteRollback',
        deploymentName: 'prod',
        rollbackId,
        at: at(4),
      })),
    );
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(fc.array(deploymentCommand, { maxLength: 40, size: 'max' }), (commands) => {
        let active: number | undefined;
        let pendingRollback: { id: string; to: number } | undefined;
        // Each event is checked against the registry facts its command was decided on.
        let state = deploymentDecider.initialState();
        for (const command of commands) {
          let produced: readonly DeploymentEvent[] = [];
          try {
            produced = deploymentDecider.decide(command, state);
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
          }
          const retained = 'registry' in command ? command.registry.retained : [];
          for (const event of produced) {
            switch (event.type) {
              case 'DeploymentRequested':
              case 'DeploymentActivated':
                expect(retained).toContain(event.data.model.version);
                if (event.type === 'DeploymentActivated') active = event.data.model.version;
                break;
              case 'RollbackRequested':
                expect(pendingRollback).toBeUndefined();
                expect(event.data.toVersion).not.toBe(active);
                expect(retained).toContain(event.data.toVersion);
                expect(event.data.fromVersion).toBe(active);
                pendingRollback = { id: event.data.rollbackId, to: event.data.toVersion };
                break;
              case 'RolledBack':
                expect(event.data.rollbackId).toBe(pendingRollback?.id);
                expect(event.data.toVersion).toBe(pendingRollback?.to);
                active = event.data.toVersion;
                pendingRollback = undefined;
                break;
              default:
                break;
            }
            eventRegistry.validate(event.type, event.data);
            seen.set(event.type, (seen.get(event.type) ?? 0) + 1);
            state = deploymentDecider.evolve(state, event);
          }
        }
      }),
      { numRuns: 200 },
    );
    for (const type of ['DeploymentActivated', 'RollbackRequested', 'RolledBack']) {
      expect(seen.get(type) ?? 0, type).toBeGreaterThan(0);
    }
  });
});
