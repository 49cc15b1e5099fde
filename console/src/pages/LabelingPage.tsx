import { useState, type FormEvent } from 'react';
import { request } from '../api/client';
import {
  BuildPreferenceRevisionMutation,
  InteractionsQuery,
  LabelFeedbackMutation,
  PreferencePromptsQuery,
  RankPreferenceMutation,
} from '../api/operations';
import { useQuery } from '../api/useQuery';
import { ErrorNote, Section } from '../components/ui';
import type {
  FeedbackLabelInput,
  InteractionsQuery as InteractionsAnswer,
  PreferencePromptsQuery as PromptsAnswer,
} from '../gql/graphql';
import { can, useViewer } from '../session';

type Prompt = PromptsAnswer['preferencePrompts']['edges'][number]['node'];
type Interaction = InteractionsAnswer['interactions']['edges'][number]['node'];

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
      {!can(viewer, 'LABELER', 'ENGINEER') ? <p>Your role may not label.</p> : null}
      <Section title={`Rank candidates (${open.length} waiting)`}>
        {open.length === 0 && !prompts.loading ? <p>Nothing waits to be ranked.</p> : null}
        {can(viewer, 'LABELER', 'ENGINEER')
          ? open.map((prompt) => (
              <RankingCard key={prompt.promptId} prompt={prompt} onRanked={prompts.reload} />
            ))
          : null}
      </Section>
      {can(viewer, 'ENGINEER') ? <PreferenceRevisionForm /> : null}
      <InteractionsQueue mayLabel={can(viewer, 'LABELER', 'ENGINEER')} />
    </>
  );
}

/**
 * Served interactions with their labels so far. A labeler (engineer, admin) gives a thumbs up or down or writes a
 * correction (labelFeedback, as the signed-in person); the next flywheel revision takes the corrected answer.
 * Others see the queue without actions.
 */
function InteractionsQueue(props: { readonly mayLabel: boolean }) {
  const interactions = useQuery(InteractionsQuery, { first: 50 });
  const list = interactions.data?.interactions.edges.map(({ node }) => node) ?? [];
  return (
    <Section title={`Served interactions (${list.length})`}>
      <ErrorNote error={interactions.error} />
      {list.length === 0 && !interactions.loading ? <p>No interaction has been served yet.</p> : null}
      {list.map((interaction) => (
        <InteractionCard
          key={interaction.interactionId}
          interaction={interaction}
          mayLabel={props.mayLabel}
          onLabeled={interactions.reload}
        />
      ))}
    </Section>
  );
}

function InteractionCard(props: {
  readonly interaction: Interaction;
  readonly mayLabel: boolean;
  readonly onLabeled: () => void;
}) {
  const { interaction } = props;
  const [correction, setCorrection] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const labels = interaction.labels.edges.map(({ node }) => node);
  const label = async (input: FeedbackLabelInput, what: string) => {
    setError(null);
    setSaved(null);
    try {
      await request(LabelFeedbackMutation, { interactionId: interaction.interactionId, label: input });
      setSaved(what);
      if (input.correction !== undefined) setCorrection('');
      props.onLabeled();
    } catch (failure) {
      setError(failure as Error);
    }
  };
  const saveCorrection = (event: FormEvent) => {
    event.preventDefault();
    void label({ correction }, 'Correction saved.');
  };
  const name = `interaction ${interaction.interactionId}`;
  return (
    <article className="card" aria-label={name}>
      <p className="message">
        <strong>Prompt:</strong> {interaction.prompt}
      </p>
      <p className="message">
        <strong>Answer:</strong> {interaction.response}
      </p>
      <p className="hint">
        {interaction.modelName} v{interaction.modelVersion}
        {interaction.deploymentName ? ` on ${interaction.deploymentName}` : ''},{' '}
        {new Date(interaction.recordedAt).toLocaleString()}
      </p>
      {labels.length > 0 ? (
        <ul aria-label={`labels of ${name}`} data-testid="labels">
          {labels.map((l) => (
            <li key={l.eventId}>
              {l.labeler}:{' '}
              {l.kind === 'THUMBS'
                ? l.thumbsUp
                  ? 'thumbs up'
                  : 'thumbs down'
                : l.kind === 'CORRECTION'
                  ? `correction “${l.correction}”`
                  : l.kind}
            </li>
          ))}
        </ul>
      ) : null}
      {props.mayLabel ? (
        <>
          <button type="button" onClick={() => void label({ thumbs: 'UP' }, 'Thumbs up saved.')}>
            Thumbs up
          </button>
          <button type="button" onClick={() => void label({ thumbs: 'DOWN' }, 'Thumbs down saved.')}>
            Thumbs down
          </button>
          <form onSubmit={saveCorrection} className="form inline">
            <label>
              Corrected answer
              <textarea required value={correction} onChange={(e) => setCorrection(e.target.value)} />
            </label>
            <button type="submit">Save correction</button>
          </form>
        </>
      ) : null}
      {saved ? <p role="status">{saved}</p> : null}
      <ErrorNote error={error} />
    </article>
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
