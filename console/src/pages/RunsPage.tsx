import { useMemo, useState, type FormEvent } from 'react';
import { request } from '../api/client';
import { RequestTrainingRunMutation, RunsQuery } from '../api/operations';
import { useQuery } from '../api/useQuery';
import { ErrorNote, formatNumber, Section, StatusBadge } from '../components/ui';
import type { RunStatus, TrainingMethodKind, TrainingRunRequestInput } from '../gql/graphql';
import { can, useViewer } from '../session';

const statuses: readonly RunStatus[] = ['REQUESTED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'];
const kinds: readonly TrainingMethodKind[] = ['LORA', 'FULL', 'REWARD_MODEL', 'DPO', 'PPO'];

/** Runs: a table with filters and search, the form that starts a run, and the choice of runs to compare. */
export function RunsPage() {
  const viewer = useViewer();
  const [status, setStatus] = useState<RunStatus | ''>('');
  const [kind, setKind] = useState<TrainingMethodKind | ''>('');
  const [search, setSearch] = useState('');
  const [compare, setCompare] = useState<string[]>([]);
  const runs = useQuery(
    RunsQuery,
    { first: 100, ...(status ? { status } : {}), ...(kind ? { kind } : {}) },
    { pollMs: 3000 },
  );
  const rows = useMemo(() => {
    const needle = search.trim().toLowerCase();
    const all = runs.data?.runs.edges.map((edge) => edge.node) ?? [];
    if (!needle) return all;
    return all.filter((run) =>
      [run.runId, run.baseModel, run.datasetId ?? '', run.kind].some((field) =>
        field.toLowerCase().includes(needle),
      ),
    );
  }, [runs.data, search]);
  const toggle = (runId: string) =>
    setCompare((chosen) =>
      chosen.includes(runId) ? chosen.filter((id) => id !== runId) : [...chosen, runId].slice(-4),
    );

  return (
    <>
      <h1>Training runs</h1>
      <div className="filters">
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as RunStatus | '')}>
            <option value="">any</option>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Kind
          <select value={kind} onChange={(e) => setKind(e.target.value as TrainingMethodKind | '')}>
            <option value="">any</option>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label>
          Search
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        {compare.length >= 2 ? (
          <a className="button" href={`#/compare/${compare.join(',')}`}>
            Compare {compare.length} runs
          </a>
        ) : (
          <span className="hint">Tick 2 to 4 runs to compare them.</span>
        )}
      </div>
      <ErrorNote error={runs.error} />
      <table>
        <caption className="visually-hidden">Training runs</caption>
        <thead>
          <tr>
            <th scope="col">Compare</th>
            <th scope="col">Run</th>
            <th scope="col">Kind</th>
            <th scope="col">Status</th>
            <th scope="col">Base model</th>
            <th scope="col">Dataset</th>
            <th scope="col">Step</th>
            <th scope="col">Loss</th>
            <th scope="col">Requested</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((run) => (
            <tr key={run.runId}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`compare ${run.runId}`}
                  checked={compare.includes(run.runId)}
                  onChange={() => toggle(run.runId)}
                />
              </td>
              <td>
                <a href={`#/runs/${run.runId}`}>{run.runId.slice(0, 8)}</a>
              </td>
              <td>{run.kind}</td>
              <td>
                <StatusBadge status={run.status} />
              </td>
              <td>{run.baseModel}</td>
              <td>{run.datasetId ? `${run.datasetId}@${run.datasetRevision}` : '—'}</td>
              <td>
                {run.lastStep ?? 0}/{run.totalSteps ?? '?'}
              </td>
              <td>{formatNumber(run.lastLoss)}</td>
              <td>{new Date(run.requestedAt).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && !runs.loading ? <p>No runs match.</p> : null}
      {can(viewer, 'ENGINEER') ? <StartRunForm onStarted={runs.reload} /> : null}
    </>
  );
}

/** Starts an SFT run with the founding guide's defaults; stages and steps may be narrowed for a quick look. */
function StartRunForm(props: { readonly onStarted: () => void }) {
  const [baseName, setBaseName] = useState('tiny');
  const [basePath, setBasePath] = useState('');
  const [datasetId, setDatasetId] = useState('');
  const [revision, setRevision] = useState('1');
  const [maxSteps, setMaxSteps] = useState('');
  const [learningRate, setLearningRate] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const input: TrainingRunRequestInput = {
        baseModel: { name: baseName, source: { kind: 'PATH', path: basePath } },
        dataset: { id: datasetId, revision: Number(revision) },
        ...(maxSteps ? { maxSteps: Number(maxSteps) } : {}),
        ...(learningRate
          ? { stages: [{ name: 'sft', learningRate: Number(learningRate), batchSize: 8, epochs: 1000 }] }
          : {}),
      };
      const started = await request(RequestTrainingRunMutation, { input });
      props.onStarted();
      window.location.hash = `#/runs/${started.requestTrainingRun.id}`;
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section title="Start a run">
      <form onSubmit={submit} className="form">
        <label>
          Base model name
          <input required value={baseName} onChange={(e) => setBaseName(e.target.value)} />
        </label>
        <label>
          Base model directory
          <input required value={basePath} onChange={(e) => setBasePath(e.target.value)} />
        </label>
        <label>
          Dataset id
          <input required value={datasetId} onChange={(e) => setDatasetId(e.target.value)} />
        </label>
        <label>
          Revision
          <input
            required
            type="number"
            min={1}
            value={revision}
            onChange={(e) => setRevision(e.target.value)}
          />
        </label>
        <label>
          Max steps (optional)
          <input type="number" min={1} value={maxSteps} onChange={(e) => setMaxSteps(e.target.value)} />
        </label>
        <label>
          One stage at this learning rate (optional; default: the guide&apos;s three stages)
          <input value={learningRate} onChange={(e) => setLearningRate(e.target.value)} />
        </label>
        <button type="submit" disabled={busy}>
          Start run
        </button>
      </form>
      <ErrorNote error={error} />
    </Section>
  );
}
