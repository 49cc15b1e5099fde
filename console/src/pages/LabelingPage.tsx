import { useState, type FormEvent } from 'react';
import { request } from '../api/client';
import {
  BuildPreferenceRevisionMutation,
  PreferencePromptsQuery,
  RankPreferenceMutation,
} from '../api/operations';
import { useQuery } from '../api/useQuery';
import { ErrorNote, Section } from '../components/ui';
import type { PreferencePromptsQuery as PromptsAnswer } from '../gql/graphql';
import { can, useViewer } from '../session';

type Prompt = PromptsAnswer['preferencePrompts']['edges'][number]['node'];

/**
 * The labelers' queue: each prompt's candidates are put in order, best first, and the ranking is recorded as the
 * signed-in person. Engineers turn the rankings into a revision of a preference dataset.
 */
export function LabelingPage() {
  const viewer = useViewer();
  const prompts = useQuery(PreferencePromptsQuery, {});
  const queue = prompts.data?.preferencePrompts.edges.map(({ node }) => node) ?? [];
  const open = queue.filter((prompt) => prompt.rankingCount === 0);

  return (
    <>
      <h1>Labeling</h1>
      <ErrorNote error={prompts.error} />
      {!can(viewer, 'labeler', 'engineer') ? <p>Your role may not label.</p> : null}
      <Section title={`Rank candidates (${open.length} waiting)`}>
        {open.length === 0 && !prompts.loading ? <p>Nothing waits to be ranked.</p> : null}
        {can(viewer, 'labeler', 'engineer')
          ? open.map((prompt) => (
              <RankingCard key={prompt.promptId} prompt={prompt} onRanked={prompts.reload} />
            ))
          : null}
      </Section>
      {can(viewer, 'engineer') ? <PreferenceRevisionForm /> : null}
    </>
  );
}

function RankingCard(props: { readonly prompt: Prompt; readonly onRanked: () => void }) {
  const [order, setOrder] = useState(props.prompt.candidates.map((c) => c.candidateId));
  const [error, setError] = useState<Error | null>(null);
  const text = new Map(props.prompt.candidates.map((c) => [c.candidateId, c.text]));
  const move = (index: number, by: -1 | 1) =>
    setOrder((current) => {
      const next = [...current];
      const [item] = next.splice(index, 1);
      next.splice(index + by, 0, item!);
      return next;
    });
  const submit = async () => {
    setError(null);
    try {
      await request(RankPreferenceMutation, { promptId: props.prompt.promptId, ranking: order });
      props.onRanked();
    } catch (failure) {
      setError(failure as Error);
    }
  };
  return (
    <article className="card" aria-label={`prompt ${props.prompt.prompt}`}>
      <h3>{props.prompt.prompt}</h3>
      <ol className="ranking">
        {order.map((candidateId, index) => (
          <li key={candidateId}>
            <span className="candidate">{text.get(candidateId)}</span>
            <button
              type="button"
              disabled={index === 0}
              onClick={() => move(index, -1)}
              aria-label={`move “${text.get(candidateId)}” up`}
            >
              ↑
            </button>
            <button
              type="button"
              disabled={index === order.length - 1}
              onClick={() => move(index, 1)}
              aria-label={`move “${text.get(candidateId)}” down`}
            >
              ↓
            </button>
          </li>
        ))}
      </ol>
      <button type="button" onClick={submit}>
        Save ranking
      </button>
      <ErrorNote error={error} />
    </article>
  );
}

function PreferenceRevisionForm() {
  const [datasetId, setDatasetId] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setResult(null);
    try {
      const built = (await request(BuildPreferenceRevisionMutation, { datasetId })).buildPreferenceRevision;
      setResult(
        `Revision ${built.revision} of ${built.datasetId}: ${built.pairsAdded} new pairs from ${built.rankedPrompts} ranked prompts.`,
      );
    } catch (failure) {
      setError(failure as Error);
    }
  };
  return (
    <Section title="Build a preference revision">
      <form onSubmit={submit} className="form inline">
        <label>
          Preference dataset id
          <input required value={datasetId} onChange={(e) => setDatasetId(e.target.value)} />
        </label>
        <button type="submit">Build revision</button>
      </form>
      {result ? <p role="status">{result}</p> : null}
      <ErrorNote error={error} />
    </Section>
  );
}
