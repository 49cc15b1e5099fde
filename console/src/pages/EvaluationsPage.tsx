import { useEffect, useRef, useState } from 'react';
import { EvaluationQuery, EvaluationsQuery } from '../api/datasetOperations';
import { download, fetchBytes, fetchText } from '../api/client';
import { readTar } from '../api/tar';
import { useQuery } from '../api/useQuery';
import { AttentionHeatmap, type AttentionGrid } from '../components/AttentionHeatmap';
import { ErrorNote, formatNumber, Section, StatusBadge } from '../components/ui';
import type { EvaluationStatus } from '../gql/graphql';
import { lineageHref } from './LineagePage';

interface GateThreshold {
  readonly metric: string;
  readonly op: 'gte' | 'lte';
  readonly value: number;
}
interface ArtifactRef {
  readonly hash: string;
  readonly byteSize: number;
  readonly mediaType?: string;
}
/** One row of the predictions artifact (src/ml/eval/predictionsFile.ts). */
interface PredictionRow {
  readonly id: string;
  readonly input: { readonly instruction: string; readonly input?: string };
  readonly reference: readonly string[];
  readonly output: string;
  readonly scores: { readonly exactMatch: number | null; readonly f1: number | null };
  readonly category: string;
}

/** The metrics the founding guide judges a model by, shown first and by name. */
const headline: readonly [string, string][] = [
  ['exactMatch', 'Exact match'],
  ['f1', 'F1'],
  ['instructionFollowing', 'Instruction following'],
  ['robustnessDelta', 'Robustness (change under noise)'],
];
const statuses: readonly EvaluationStatus[] = ['REQUESTED', 'COMPLETED', 'FAILED'];
const FAILED_EXAMPLES_SHOWN = 50;

function verdict(status: EvaluationStatus, gatePassed: boolean | null | undefined): string {
  if (status !== 'COMPLETED') return status === 'FAILED' ? 'not evaluated (failed)' : 'pending';
  return gatePassed ? 'passed' : 'failed';
}

/** Evaluations: every evaluation with its model version, dataset, status, gate verdict and headline metrics. */
export function EvaluationsPage() {
  const [status, setStatus] = useState<EvaluationStatus | ''>('');
  const evaluations = useQuery(
    EvaluationsQuery,
    { first: 100, ...(status ? { status } : {}) },
    { pollMs: 5000 },
  );
  const rows = evaluations.data?.evaluations.edges.map((edge) => edge.node) ?? [];
  return (
    <>
      <h1>Evaluations</h1>
      <div className="filters">
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as EvaluationStatus | '')}>
            <option value="">any</option>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={evaluations.error} />
      <table>
        <caption className="visually-hidden">Evaluations</caption>
        <thead>
          <tr>
            <th scope="col">Evaluation</th>
            <th scope="col">Model</th>
            <th scope="col">Dataset</th>
            <th scope="col">Status</th>
            <th scope="col">Gate</th>
            <th scope="col">Exact match</th>
            <th scope="col">F1</th>
            <th scope="col">Requested</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((evaluation) => {
            const metrics = (evaluation.metrics ?? {}) as Record<string, number>;
            return (
              <tr key={evaluation.evaluationId}>
                <td>
                  <a href={`#/evaluations/${encodeURIComponent(evaluation.evaluationId)}`}>
                    {evaluation.evaluationId.slice(0, 8)}
                  </a>
                </td>
                <td>
                  {evaluation.modelName} v{evaluation.modelVersion}
                </td>
                <td>
                  {evaluation.datasetId ? `${evaluation.datasetId}@${evaluation.datasetRevision}` : '—'}
                </td>
                <td>
                  <StatusBadge status={evaluation.status} />
                </td>
                <td>{verdict(evaluation.status, evaluation.gatePassed)}</td>
                <td>{formatNumber(metrics.exactMatch)}</td>
                <td>{formatNumber(metrics.f1)}</td>
                <td>{new Date(evaluation.requestedAt).toLocaleString()}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {rows.length === 0 && !evaluations.loading ? <p>No evaluations match.</p> : null}
    </>
  );
}

/** An evaluation: metrics, the gate with its thresholds and verdict, the error taxonomy and failed examples. */
export function EvaluationPage(props: { readonly evaluationId: string }) {
  const state = useQuery(EvaluationQuery, { evaluationId: props.evaluationId }, { pollMs: 5000 });
  const [downloadError, setDownloadError] = useState<Error | null>(null);
  const evaluation = state.data?.evaluation;
  if (state.error) return <ErrorNote error={state.error} />;
  if (!evaluation) return <p>{state.loading ? 'Loading…' : `No evaluation ${props.evaluationId}.`}</p>;
  const metrics = (evaluation.metrics ?? {}) as Record<string, number>;
  const gate = (evaluation.gate ?? []) as readonly GateThreshold[];
  const automatic = (evaluation.errorTaxonomy ?? {}) as Record<string, number>;
  const corrected = state.data?.evaluationTaxonomy?.corrected as Record<string, number> | undefined;
  const corrections = state.data?.evaluationTaxonomy?.corrections ?? [];
  const categories = (evaluation.categories ?? {}) as Record<string, Record<string, number>>;
  const artifacts = (evaluation.artifacts ?? {}) as Record<string, ArtifactRef | undefined>;
  const others = Object.keys(metrics).filter((name) => !headline.some(([key]) => key === name));
  const result = verdict(evaluation.status, evaluation.gatePassed);

  return (
    <>
      <h1>
        Evaluation of {evaluation.modelName} v{evaluation.modelVersion}
      </h1>
      <dl className="facts">
        <dt>Evaluation</dt>
        <dd>{evaluation.evaluationId}</dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={evaluation.status} />
          {evaluation.failureReason ? `: ${evaluation.failureReason}` : ''}
        </dd>
        <dt>Dataset</dt>
        <dd>
          {evaluation.datasetId ? (
            <a href={`#/datasets/${encodeURIComponent(evaluation.datasetId)}`}>
              {evaluation.datasetId}@{evaluation.datasetRevision}
            </a>
          ) : (
            '—'
          )}
        </dd>
        <dt>Suites</dt>
        <dd>{evaluation.suites.join(', ')}</dd>
        <dt>Examples</dt>
        <dd>
          {evaluation.completedExamples ?? 0}/{evaluation.totalExamples ?? '?'}
        </dd>
        <dt>Requested</dt>
        <dd>{new Date(evaluation.requestedAt).toLocaleString()}</dd>
        <dt>Finished</dt>
        <dd>{evaluation.finishedAt ? new Date(evaluation.finishedAt).toLocaleString() : '—'}</dd>
        <dt>Lineage</dt>
        <dd>
          <a href={lineageHref(`evaluation:${evaluation.evaluationId}`)}>Lineage of this evaluation</a>
        </dd>
      </dl>

      <Section title="Metrics">
        <table>
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {headline.map(([key, name]) => (
              <tr key={key} data-testid="metric" data-metric={key}>
                <th scope="row">{name}</th>
                <td>{formatNumber(metrics[key])}</td>
              </tr>
            ))}
            {others.map((key) => (
              <tr key={key} data-testid="metric" data-metric={key}>
                <th scope="row">{key}</th>
                <td>{formatNumber(metrics[key])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>

      <Section title="Gate">
        <p
          data-testid="gate-verdict"
          className={evaluation.status === 'COMPLETED' ? (evaluation.gatePassed ? 'ok' : 'error') : ''}
        >
          Gate {result}
          {gate.length === 0 ? ' (no thresholds)' : ''}.
        </p>
        {gate.length > 0 ? (
          <table>
            <thead>
              <tr>
                <th scope="col">Metric</th>
                <th scope="col">Threshold</th>
                <th scope="col">Actual</th>
                <th scope="col">Met</th>
              </tr>
            </thead>
            <tbody>
              {gate.map((threshold) => {
                const actual = metrics[threshold.metric];
                const met =
                  actual === undefined
                    ? null
                    : threshold.op === 'gte'
                      ? actual >= threshold.value
                      : actual <= threshold.value;
                return (
                  <tr key={`${threshold.metric} ${threshold.op}`} data-testid="gate-threshold">
                    <th scope="row">{threshold.metric}</th>
                    <td>
                      {threshold.op === 'gte' ? '≥' : '≤'} {threshold.value}
                    </td>
                    <td>{formatNumber(actual)}</td>
                    <td>{met === null ? '—' : met ? 'yes' : 'no'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
      </Section>

      <Section title="Error taxonomy">
        {Object.keys(automatic).length === 0 ? (
          <p>No errors classified.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Category</th>
                <th scope="col">Count (worker)</th>
                {corrections.length > 0 ? <th scope="col">Count (after human labels)</th> : null}
              </tr>
            </thead>
            <tbody>
              {Object.entries(automatic).map(([category, count]) => (
                <tr key={category} data-testid="taxonomy" data-category={category}>
                  <th scope="row">{category}</th>
                  <td>{count}</td>
                  {corrections.length > 0 ? <td>{corrected?.[category] ?? 0}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {corrections.length > 0 ? (
          <p className="hint">{corrections.length} records relabelled by people.</p>
        ) : null}
      </Section>

      {Object.keys(categories).length > 0 ? (
        <Section title="By category">
          <table>
            <thead>
              <tr>
                <th scope="col">Category</th>
                <th scope="col">Metrics</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(categories).map(([category, values]) => (
                <tr key={category}>
                  <th scope="row">{category}</th>
                  <td>
                    {Object.entries(values)
                      .map(([name, value]) => `${name} ${formatNumber(value)}`)
                      .join(', ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      ) : null}

      <Section title="Artifacts">
        {Object.keys(artifacts).length === 0 ? <p>None recorded.</p> : null}
        <p className="downloads">
          {Object.entries(artifacts).map(([name, ref]) =>
            ref ? (
              <button
                key={name}
                type="button"
                onClick={() =>
                  download(`/artifacts/${ref.hash}`, `${evaluation.evaluationId}-${name}`).catch(
                    setDownloadError,
                  )
                }
              >
                Download {name} ({ref.byteSize} bytes)
              </button>
            ) : null,
          )}
        </p>
        <ErrorNote error={downloadError} />
      </Section>

      {artifacts.heatmap ? <Heatmaps heatmap={artifacts.heatmap} /> : null}
      {artifacts.predictions ? <FailedExamples predictions={artifacts.predictions} /> : null}
    </>
  );
}

/**
 * The attention heatmaps, drawn from the heatmap artifact's weights (its .json files, tuneledger-attention/1).
 * An artifact from before the worker wrote weights holds pictures only: those stay a download.
 */
function Heatmaps(props: { readonly heatmap: ArtifactRef }) {
  const { value: grids, error } = useArtifact(props.heatmap.hash, fetchBytes, (bytes) => {
    const decoder = new TextDecoder();
    return [...readTar(bytes)]
      .filter(([name]) => name.endsWith('.json'))
      .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
      .map(([, data]) => JSON.parse(decoder.decode(data)) as AttentionGrid & { format?: string })
      .filter((grid) => grid.format === 'tuneledger-attention/1');
  });
  return (
    <Section title="Attention heatmaps">
      <ErrorNote error={error} />
      {grids === null && !error ? <p>Loading…</p> : null}
      {grids?.length === 0 ? (
        <p>This evaluation&apos;s heatmaps hold pictures only: download them above.</p>
      ) : null}
      <div className="heatmaps">
        {grids?.map((grid) => (
          <AttentionHeatmap key={`${grid.exampleId}-${grid.layer}-${grid.head}`} grid={grid} />
        ))}
      </div>
    </Section>
  );
}

/** An artifact (`GET /artifacts/<hash>`, with the session's token) read once per hash and turned into what a section shows. */
function useArtifact<Raw, T>(
  hash: string,
  fetchArtifact: (path: string) => Promise<Raw>,
  read: (raw: Raw) => T,
): { readonly value: T | null; readonly error: Error | null } {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const readRef = useRef(read);
  readRef.current = read;
  useEffect(() => {
    let live = true;
    fetchArtifact(`/artifacts/${hash}`).then(
      (raw) => {
        if (!live) return;
        try {
          setValue(readRef.current(raw));
        } catch (failure) {
          setError(failure as Error);
        }
      },
      (failure: Error) => live && setError(failure),
    );
    return () => {
      live = false;
    };
  }, [hash, fetchArtifact]);
  return { value, error };
}

/** The examples the model got wrong, read from the predictions artifact (one JSON row per example). */
function FailedExamples(props: { readonly predictions: ArtifactRef }) {
  const { value: rows, error } = useArtifact(props.predictions.hash, fetchText, (text) =>
    text
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as PredictionRow)
      .filter((row) => row.category !== 'correct' && row.category !== 'unscored'),
  );

  return (
    <Section title="Failed examples">
      <ErrorNote error={error} />
      {rows === null && !error ? <p>Loading…</p> : null}
      {rows?.length === 0 ? <p>No failed examples.</p> : null}
      {rows && rows.length > 0 ? (
        <table>
          <caption>
            {rows.length > FAILED_EXAMPLES_SHOWN
              ? `The first ${FAILED_EXAMPLES_SHOWN} of ${rows.length} failed examples`
              : `${rows.length} failed examples`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Example</th>
              <th scope="col">Instruction</th>
              <th scope="col">Expected</th>
              <th scope="col">Answer</th>
              <th scope="col">Error</th>
              <th scope="col">F1</th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, FAILED_EXAMPLES_SHOWN).map((row) => (
              <tr key={row.id} data-testid="failed-example">
                <td>{row.id}</td>
                <td>
                  {row.input.instruction}
                  {row.input.input ? ` — ${row.input.input}` : ''}
                </td>
                <td>{row.reference.join(' | ')}</td>
                <td>{row.output}</td>
                <td>{row.category}</td>
                <td>{formatNumber(row.scores.f1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Section>
  );
}
