import { useEffect, useMemo, useState } from 'react';
import { request, subscribe } from '../api/client';
import { CancelRunMutation, RunMetricsQuery, RunProgressSubscription, RunQuery } from '../api/operations';
import { useQuery } from '../api/useQuery';
import { LineChart } from '../components/LineChart';
import { ErrorNote, formatDuration, formatNumber, Json, Section, StatusBadge } from '../components/ui';
import { can, useViewer } from '../session';
import { lineageHref } from './LineagePage';

/** One step of a run's curves. */
export interface Point {
  readonly step: number;
  readonly stageIndex: number;
  readonly loss: number;
  readonly entityLoss: number | null;
  readonly learningRate: number | null;
  readonly tokensPerSecond: number | null;
  readonly rewardAccuracy: number | null;
  readonly rewardMargin: number | null;
}

/** Points keyed by step: a step reported twice (after a take-over) keeps its latest report. */
function merge(points: readonly Point[], more: readonly Point[]): Point[] {
  const byStep = new Map(points.map((p) => [p.step, p]));
  for (const point of more) byStep.set(point.step, point);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

const numberOrNull = (value: unknown) => (typeof value === 'number' ? value : null);

/** A run's stored curve, then every progress report as it is appended (graphql-ws). */
export function useRunCurve(runId: string): { points: Point[]; eta: number | null; finished: boolean } {
  const [points, setPoints] = useState<Point[]>([]);
  const [eta, setEta] = useState<number | null>(null);
  const [finished, setFinished] = useState(false);
  useEffect(() => {
    setPoints([]);
    let live = true;
    void request(RunMetricsQuery, { runId, first: 1000 }).then((answer) => {
      if (!live) return;
      const stored = answer.run?.metrics.edges.map(({ node }) => ({ ...node })) ?? [];
      setPoints((current) => merge(stored, current));
    });
    const stop = subscribe(
      RunProgressSubscription,
      { runId },
      {
        next: ({ runProgress: update }) => {
          if (update.finished) setFinished(true);
          if (update.type !== 'TRAINING_PROGRESS_REPORTED' || update.step === null || update.loss === null)
            return;
          const data = (update.event.data ?? {}) as Record<string, unknown>;
          setEta(update.etaMs ?? null);
          setPoints((current) =>
            merge(current, [
              {
                step: update.step!,
                stageIndex: update.stageIndex ?? 0,
                loss: update.loss!,
                entityLoss: numberOrNull(data.entityLoss),
                learningRate: numberOrNull(data.learningRate),
                tokensPerSecond: numberOrNull(data.tokensPerSecond),
                rewardAccuracy: update.rewardAccuracy ?? null,
                rewardMargin: update.rewardMargin ?? null,
              },
            ]),
          );
        },
      },
    );
    return () => {
      live = false;
      stop();
    };
  }, [runId]);
  return { points, eta, finished };
}

export function RunPage(props: { readonly runId: string }) {
  const viewer = useViewer();
  const { points, eta, finished } = useRunCurve(props.runId);
  const run = useQuery(RunQuery, { runId: props.runId }, { pollMs: finished ? 0 : 2000 });
  const [cancelError, setCancelError] = useState<Error | null>(null);
  const x = useMemo(() => points.map((p) => p.step), [points]);
  const lossSeries = useMemo(
    () => [
      { label: 'loss', values: points.map((p) => p.loss) },
      ...(points.some((p) => p.entityLoss !== null)
        ? [{ label: 'entity loss', values: points.map((p) => p.entityLoss) }]
        : []),
    ],
    [points],
  );
  const preference = points.some((p) => p.rewardAccuracy !== null);
  const info = run.data?.run;
  const last = points.at(-1);

  if (run.error) return <ErrorNote error={run.error} />;
  if (!info) return <p>{run.loading ? 'Loading…' : `No run ${props.runId}.`}</p>;
  const stageCount = Array.isArray(info.stages) ? info.stages.length : 0;

  return (
    <>
      <h1>
        Run {info.runId.slice(0, 8)} <StatusBadge status={info.status} />
      </h1>
      <dl className="facts">
        <dt>Kind</dt>
        <dd>{info.kind}</dd>
        <dt>Base model</dt>
        <dd>{info.baseModel}</dd>
        <dt>Dataset</dt>
        <dd>
          {info.datasetId ? (
            <a href={`#/datasets/${encodeURIComponent(info.datasetId)}`}>
              {info.datasetId}@{info.datasetRevision}
            </a>
          ) : (
            '—'
          )}
        </dd>
        <dt>Lineage</dt>
        <dd>
          <a href={lineageHref(`run:${info.runId}`)}>Lineage of this run</a>
        </dd>
        <dt>Step</dt>
        <dd data-testid="run-step">
          {last?.step ?? info.lastStep ?? 0} / {info.totalSteps ?? '?'}
        </dd>
        <dt>Stage</dt>
        <dd>
          {(last?.stageIndex ?? info.currentStage ?? 0) + 1} of {stageCount}
        </dd>
        <dt>Loss</dt>
        <dd data-testid="run-loss">{formatNumber(last?.loss ?? info.lastLoss)}</dd>
        <dt>Learning rate</dt>
        <dd>{formatNumber(last?.learningRate)}</dd>
        <dt>Tokens/s</dt>
        <dd>{formatNumber(last?.tokensPerSecond, 5)}</dd>
        <dt>ETA</dt>
        <dd>{info.status === 'RUNNING' ? formatDuration(eta) : '—'}</dd>
        <dt>Backend</dt>
        <dd>{info.backend ?? '—'}</dd>
        {info.failureReason ? (
          <>
            <dt>Failure</dt>
            <dd>{info.failureReason}</dd>
          </>
        ) : null}
      </dl>
      {can(viewer, 'ENGINEER') && (info.status === 'RUNNING' || info.status === 'REQUESTED') ? (
        <button
          type="button"
          onClick={() =>
            request(CancelRunMutation, {
              runId: info.runId,
              reason: `cancelled from the console by ${viewer?.actor}`,
            })
              .then(run.reload)
              .catch(setCancelError)
          }
        >
          Cancel run
        </button>
      ) : null}
      <ErrorNote error={cancelError} />
      <LineChart title="Loss" x={x} series={lossSeries} />
      <LineChart
        title="Learning rate"
        x={x}
        series={[{ label: 'lr', values: points.map((p) => p.learningRate) }]}
      />
      <LineChart
        title="Tokens per second"
        x={x}
        series={[{ label: 'tokens/s', values: points.map((p) => p.tokensPerSecond) }]}
      />
      {preference ? (
        <LineChart
          title="Reward"
          x={x}
          series={[
            { label: 'reward accuracy', values: points.map((p) => p.rewardAccuracy) },
            { label: 'reward margin', values: points.map((p) => p.rewardMargin) },
          ]}
        />
      ) : null}
      <Section title="Checkpoints">
        {info.checkpoints.edges.length === 0 ? (
          <p>None yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Artifact</th>
                <th scope="col">Bytes</th>
                <th scope="col">Saved</th>
              </tr>
            </thead>
            <tbody>
              {info.checkpoints.edges.map(({ node: c }) => (
                <tr key={c.artifactHash}>
                  <td>{c.step}</td>
                  <td>
                    <code>{c.artifactHash.slice(0, 16)}</code>
                  </td>
                  <td>{c.byteSize}</td>
                  <td>{new Date(c.savedAt).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title="Configuration">
        <Json
          value={{
            method: info.method,
            stages: info.stages,
            loss: info.lossKind,
            seed: info.seed,
            maxSteps: info.maxSteps,
          }}
        />
      </Section>
    </>
  );
}

/** 2 to 4 runs' loss curves on one chart, aligned on the step. */
export function ComparePage(props: { readonly runIds: readonly string[] }) {
  const [curves, setCurves] = useState<Map<string, Point[]>>(new Map());
  const [error, setError] = useState<Error | null>(null);
  const key = props.runIds.join(',');
  useEffect(() => {
    Promise.all(
      props.runIds.map(async (runId) => {
        const answer = await request(RunMetricsQuery, { runId, first: 1000 });
        return [runId, answer.run?.metrics.edges.map(({ node }) => ({ ...node })) ?? []] as const;
      }),
    ).then((all) => setCurves(new Map(all)), setError);
  }, [key]);
  const x = [...new Set([...curves.values()].flatMap((points) => points.map((p) => p.step)))].sort(
    (a, b) => a - b,
  );
  const series = [...curves.entries()].map(([runId, points]) => {
    const byStep = new Map(points.map((p) => [p.step, p.loss]));
    return { label: runId.slice(0, 8), values: x.map((step) => byStep.get(step) ?? null) };
  });
  if (props.runIds.length < 2 || props.runIds.length > 4) return <p role="alert">Compare 2 to 4 runs.</p>;
  return (
    <>
      <h1>Comparing {props.runIds.length} runs</h1>
      <ErrorNote error={error} />
      <LineChart title="Loss by step" x={x} series={series} width={800} height={320} />
    </>
  );
}
