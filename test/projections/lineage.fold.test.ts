import { describe, expect, it } from 'vitest';
import {
  LineageGraph,
  lineageChanges,
  lineageNodeId,
  type LineageRelation,
} from '../../src/projections/index.js';
import { projectedEvent } from '../support/projectedEvent.js';

// The lineage fold on its own (the projection that writes it to SQL is tested in readModels.test.ts): what each
// event adds to the graph, and how the in-memory graph of time travel merges and walks it.
const recorded = projectedEvent;

const revisionAdded = (extra: object = {}) =>
  recorded('DatasetRevisionAdded', {
    datasetId: 'med',
    revision: 3,
    contentHash: 'hash3',
    transform: { kind: 'merge' },
    recordCount: 90,
    addedAt: 't-added',
    ...extra,
  });

const runRequested = (method: object, source: object = { kind: 'path', path: '/m' }, extra: object = {}) =>
  recorded('TrainingRunRequested', {
    runId: 'r1',
    baseModel: { name: 'tiny', source },
    dataset: { id: 'med', revision: 3 },
    method,
    seed: 7,
    requestedAt: 't-req',
    ...extra,
  });
const edge = (from: string, to: string, relation: LineageRelation, at: string, eventId = 'e1') => ({
  from,
  to,
  relation,
  eventId,
  at,
});

describe('lineage fold: what each event adds', () => {
  it('node ids are readable and derived from the domain ids', () => {
    expect(lineageNodeId.datasetRevision('med', 2)).toBe('dataset:med@2');
    expect(lineageNodeId.run('r1')).toBe('run:r1');
    expect(lineageNodeId.modelVersion('m', 4)).toBe('model:m@4');
    expect(lineageNodeId.evaluation('ev')).toBe('evaluation:ev');
    expect(lineageNodeId.deployment('prod')).toBe('deployment:prod');
    expect(lineageNodeId.interaction('i1')).toBe('interaction:i1');
  });

  it('a dataset revision: its node, and edges from its parent, the merged revisions and the interactions', () => {
    expect(lineageChanges(revisionAdded())).toEqual({
      nodes: [
        {
          nodeId: 'dataset:med@3',
          kind: 'dataset-revision',
          label: 'med r3',
          attributes: { contentHash: 'hash3', transform: 'merge', recordCount: 90 },
          eventId: 'e1',
          at: 't-added',
        },
      ],
      edges: [],
    });
    expect(
      lineageChanges(
        revisionAdded({ parentRevision: 0, mergedRevisions: [1, 2], sourceInteractions: ['i1'] }),
      ).edges,
    ).toEqual([
      edge('dataset:med@0', 'dataset:med@3', 'derived', 't-added'),
      edge('dataset:med@1', 'dataset:med@3', 'merged', 't-added'),
      edge('dataset:med@2', 'dataset:med@3', 'merged', 't-added'),
      edge('interaction:i1', 'dataset:med@3', 'collected', 't-added'),
    ]);
  });

  it('a run: trained on its revision, from a registry base model, a reward model, a reference, a resumed run', () => {
    expect(lineageChanges(runRequested({ kind: 'lora' }))).toEqual({
      nodes: [
        {
          nodeId: 'run:r1',
          kind: 'run',
          label: 'r1',
          attributes: { method: 'lora', baseModel: 'tiny', seed: 7 },
          eventId: 'e1',
          at: 't-req',
        },
      ],
      edges: [edge('dataset:med@3', 'run:r1', 'trained-on', 't-req')],
    });
    const ppo = runRequested(
      { kind: 'ppo', rewardModel: { name: 'rm', version: 2 }, referenceModel: { name: 'ref', version: 1 } },
      { kind: 'registry', model: { name: 'base', version: 5 } },
      { resumeFrom: { runId: 'r0' } },
    );
    expect(lineageChanges(ppo).edges).toEqual([
      edge('dataset:med@3', 'run:r1', 'trained-on', 't-req'),
      edge('model:base@5', 'run:r1', 'base-model', 't-req'),
      edge('model:rm@2', 'run:r1', 'reward-model', 't-req'),
      edge('model:ref@1', 'run:r1', 'reference-model', 't-req'),
      edge('run:r0', 'run:r1', 'resumed-from', 't-req'),
    ]);
    expect(
      lineageChanges(runRequested({ kind: 'dpo', referenceModel: { name: 'ref', version: 1 } })).edges,
    ).toEqual([
      edge('dataset:med@3', 'run:r1', 'trained-on', 't-req'),
      edge('model:ref@1', 'run:r1', 'reference-model', 't-req'),
    ]);
    // A PPO run without a registry reference has only its reward model; a LoRA run never has a reference.
    expect(
      lineageChanges(runRequested({ kind: 'ppo', rewardModel: { name: 'rm', version: 2 } })).edges.map(
        (e) => e.relation,
      ),
    ).toEqual(['trained-on', 'reward-model']);
    expect(
      lineageChanges(runRequested({ kind: 'lora', referenceModel: { name: 'ref', version: 1 } })).edges.map(
        (e) => e.relation,
      ),
    ).toEqual(['trained-on']);
  });

  it('a completed run adds its artifact and loss to the run node', () => {
    expect(
      lineageChanges(
        recorded('TrainingRunCompleted', {
          runId: 'r1',
          artifact: { hash: 'art' },
          finalLoss: 0.5,
          completedAt: 't-done',
        }),
      ),
    ).toEqual({
      nodes: [
        {
          nodeId: 'run:r1',
          kind: 'run',
          label: 'r1',
          attributes: { artifactHash: 'art', finalLoss: 0.5 },
          eventId: 'e1',
          at: 't-done',
        },
      ],
      edges: [],
    });
  });

  it('a model version is produced by its run; a promotion links the evaluations it rests on', () => {
    expect(
      lineageChanges(
        recorded('ModelVersionRegistered', {
          modelName: 'm',
          version: 2,
          runId: 'r1',
          artifacts: { adapter: 'a' },
          registeredAt: 't-reg',
        }),
      ),
    ).toEqual({
      nodes: [
        {
          nodeId: 'model:m@2',
          kind: 'model-version',
          label: 'm v2',
          attributes: { artifacts: { adapter: 'a' } },
          eventId: 'e1',
          at: 't-reg',
        },
      ],
      edges: [edge('run:r1', 'model:m@2', 'produced', 't-reg')],
    });
    expect(
      lineageChanges(
        recorded('ModelVersionPromoted', {
          modelName: 'm',
          version: 2,
          evidence: { evaluationIds: ['ev1', 'ev2'] },
          promotedAt: 't-pro',
        }),
      ),
    ).toEqual({
      nodes: [],
      edges: [
        edge('evaluation:ev1', 'model:m@2', 'evidence', 't-pro'),
        edge('evaluation:ev2', 'model:m@2', 'evidence', 't-pro'),
      ],
    });
  });

  it('an evaluation evaluates a model version on a revision; its completion records the gate', () => {
    expect(
      lineageChanges(
        recorded('EvaluationRequested', {
          evaluationId: 'ev1',
          model: { name: 'm', version: 2 },
          dataset: { id: 'med', revision: 3 },
          suites: ['qa'],
          requestedAt: 't-ev',
        }),
      ),
    ).toEqual({
      nodes: [
        {
          nodeId: 'evaluation:ev1',
          kind: 'evaluation',
          label: 'ev1',
          attributes: { suites: ['qa'] },
          eventId: 'e1',
          at: 't-ev',
        },
      ],
      edges: [
        edge('model:m@2', 'evaluation:ev1', 'evaluated', 't-ev'),
        edge('dataset:med@3', 'evaluation:ev1', 'evaluation-data', 't-ev'),
      ],
    });
    expect(
      lineageChanges(
        recorded('EvaluationCompleted', {
          evaluationId: 'ev1',
          gate: { passed: false },
          completedAt: 't-evd',
        }),
      ),
    ).toEqual({
      nodes: [
        {
          nodeId: 'evaluation:ev1',
          kind: 'evaluation',
          label: 'ev1',
          attributes: { gatePassed: false },
          eventId: 'e1',
          at: 't-evd',
        },
      ],
      edges: [],
    });
  });

  it('a deployment serves a model version, a rollback links the version restored, an interaction its model', () => {
    expect(
      lineageChanges(
        recorded('DeploymentActivated', {
          deploymentName: 'prod',
          model: { name: 'm', version: 2 },
          environment: 'production',
          activatedAt: 't-act',
        }),
      ),
    ).toEqual({
      nodes: [
        {
          nodeId: 'deployment:prod',
          kind: 'deployment',
          label: 'prod',
          attributes: { environment: 'production' },
          eventId: 'e1',
          at: 't-act',
        },
      ],
      edges: [edge('model:m@2', 'deployment:prod', 'deployed', 't-act')],
    });
    expect(
      lineageChanges(
        recorded('RolledBack', {
          deploymentName: 'prod',
          modelName: 'm',
          toVersion: 1,
          rolledBackAt: 't-rb',
        }),
      ),
    ).toEqual({ nodes: [], edges: [edge('model:m@1', 'deployment:prod', 'rolled-back-to', 't-rb')] });
    expect(
      lineageChanges(
        recorded('InteractionRecorded', {
          interactionId: 'i1',
          model: { name: 'm', version: 2 },
          recordedAt: 't-int',
        }),
      ),
    ).toEqual({
      nodes: [
        {
          nodeId: 'interaction:i1',
          kind: 'interaction',
          label: 'i1',
          attributes: {},
          eventId: 'e1',
          at: 't-int',
        },
      ],
      edges: [edge('model:m@2', 'interaction:i1', 'served', 't-int')],
    });
  });
});

describe('lineage fold: the in-memory graph', () => {
  it('keeps a node’s creating event and time, merges later attributes, and keeps the first of equal edges', () => {
    const graph = new LineageGraph();
    graph.apply(lineageChanges(runRequested({ kind: 'lora' })));
    graph.apply(
      lineageChanges(
        recorded(
          'TrainingRunCompleted',
          { runId: 'r1', artifact: { hash: 'art' }, finalLoss: 0.5, completedAt: 't-done' },
          'e2',
        ),
      ),
    );
    // The same node stated again with another value: the later value wins (SQL's `attributes || excluded`).
    graph.apply(lineageChanges({ ...runRequested({ kind: 'lora' }, undefined, { seed: 9 }), eventId: 'e3' }));
    expect(graph.nodes.get('run:r1')).toEqual({
      nodeId: 'run:r1',
      kind: 'run',
      label: 'r1',
      attributes: { method: 'lora', baseModel: 'tiny', seed: 9, artifactHash: 'art', finalLoss: 0.5 },
      eventId: 'e1',
      at: 't-req',
    });
    expect([...graph.edges.values()]).toEqual([edge('dataset:med@3', 'run:r1', 'trained-on', 't-req')]);
  });

  it('walks upstream transitively, each edge once, to the nodes it knows', () => {
    const graph = new LineageGraph();
    graph.apply(lineageChanges(revisionAdded({ parentRevision: 2 })));
    graph.apply(lineageChanges(runRequested({ kind: 'lora' })));
    graph.apply(
      lineageChanges(
        recorded('ModelVersionRegistered', {
          modelName: 'm',
          version: 1,
          runId: 'r1',
          artifacts: {},
          registeredAt: 't-reg',
        }),
      ),
    );
    // A second path to the revision (an evaluation of the model on it): the revision is visited once.
    graph.apply(
      lineageChanges(
        recorded('EvaluationRequested', {
          evaluationId: 'ev1',
          model: { name: 'm', version: 1 },
          dataset: { id: 'med', revision: 3 },
          suites: [],
          requestedAt: 't-ev',
        }),
      ),
    );
    const up = graph.upstream('evaluation:ev1');
    expect(up.edges.map((e) => `${e.from}>${e.to}`)).toEqual([
      'model:m@1>evaluation:ev1',
      'dataset:med@3>evaluation:ev1',
      'run:r1>model:m@1',
      'dataset:med@2>dataset:med@3',
      'dataset:med@3>run:r1',
    ]);
    // dataset:med@2 is named by an edge but was never added: it has no node.
    expect(up.nodes.map((n) => n.nodeId)).toEqual(['evaluation:ev1', 'model:m@1', 'dataset:med@3', 'run:r1']);
    expect(graph.upstream('run:r1').nodes.map((n) => n.nodeId)).toEqual(['run:r1', 'dataset:med@3']);
    expect(graph.upstream('nothing')).toEqual({ nodes: [], edges: [] });
  });
});

describe('lineage fold: the edges the graph gives', () => {
  // Built inside each test, so that a fold that throws fails the tests rather than the file's loading.
  const fiveEdges = () => {
    const graph = new LineageGraph();
    graph.apply({
      nodes: [],
      edges: [
        edge('a', 'b', 'produced', 't1'),
        edge('c', 'b', 'produced', 't2'),
        edge('b', 'd', 'produced', 't3'),
        edge('a', 'd', 'produced', 't4'),
        edge('d', 'e', 'produced', 't5'),
      ],
    });
    return graph;
  };

  it('gives the edges into or out of a node in the order they were added, none for a node it does not know', () => {
    const graph = fiveEdges();
    expect(graph.edgesOf('b', 'upstream').map((e) => e.at)).toEqual(['t1', 't2']);
    expect(graph.edgesOf('b', 'downstream').map((e) => e.at)).toEqual(['t3']);
    expect(graph.edgesOf('a', 'downstream').map((e) => e.at)).toEqual(['t1', 't4']);
    expect(graph.edgesOf('a', 'upstream')).toEqual([]);
    expect(graph.edgesOf('e', 'downstream')).toEqual([]);
    expect(graph.edgesOf('nowhere', 'upstream')).toEqual([]);
  });

  it('gives the edges between some nodes only, in the order they were added', () => {
    const graph = fiveEdges();
    // Read from `d` first, then `a`: still in the order added.
    expect(graph.edgesAmong(new Set(['d', 'b', 'a'])).map((e) => e.at)).toEqual(['t1', 't3', 't4']);
    expect(graph.edgesAmong(new Set(['a', 'e']))).toEqual([]);
    expect(graph.edgesAmong(new Set(['nowhere', 'd', 'e'])).map((e) => e.at)).toEqual(['t5']);
  });
});
