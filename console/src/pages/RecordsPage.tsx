import { useState } from 'react';
import { DatasetRecordsQuery } from '../api/datasetOperations';
import { useQuery } from '../api/useQuery';
import { ErrorNote } from '../components/ui';

const PAGE_SIZE = 20;

export const recordsHref = (datasetId: string, revision: number) =>
  `#/records/${encodeURIComponent(datasetId)}/${revision}`;

/**
 * The record viewer: a revision's records as the API reads them from its artifact, redacted (every PII span the
 * recognisers find is a placeholder), 20 to a page.
 */
export function RecordsPage(props: { readonly datasetId: string; readonly revision: number }) {
  // The cursors of the pages before this one, so Previous needs no backward paging from the API.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  const answer = useQuery(DatasetRecordsQuery, {
    datasetId: props.datasetId,
    revision: props.revision,
    first: PAGE_SIZE,
    after,
  });
  const dataset = answer.data?.dataset;
  const revision = dataset?.revision;
  if (answer.error) return <ErrorNote error={answer.error} />;
  if (!revision) {
    return (
      <p>{answer.loading ? 'Loading…' : `No revision ${props.revision} of dataset ${props.datasetId}.`}</p>
    );
  }
  const records = revision.records.edges.map((edge) => edge.node);
  const from = (cursors.length - 1) * PAGE_SIZE;
  return (
    <>
      <h1>
        Records of {dataset.name}, revision {revision.revision}
      </h1>
      <p className="hint">
        Redacted text only: every e-mail address, phone number, card number and other PII the recognisers find
        is shown as its placeholder, whatever the revision&apos;s policy kept.
      </p>
      <p data-testid="records-range">
        Records {records.length === 0 ? 0 : from + 1}–{from + records.length} of {revision.recordCount}
      </p>
      <table aria-label="records">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Conversation</th>
            <th scope="col">Chosen</th>
            <th scope="col">Rejected</th>
          </tr>
        </thead>
        <tbody>
          {records.map((record) => (
            <tr key={record.index} data-testid="record">
              <td>{record.index}</td>
              <td>
                {record.messages.map((message, i) => (
                  <p key={i} className="message">
                    <strong>{message.role}:</strong> {message.content}
                  </p>
                ))}
              </td>
              <td>{record.chosen ?? '—'}</td>
              <td>{record.rejected ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav className="pager" aria-label="record pages">
        <button
          type="button"
          disabled={cursors.length === 1}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          Previous page
        </button>
        <button
          type="button"
          disabled={!revision.records.pageInfo.hasNextPage}
          onClick={() => setCursors((c) => [...c, revision.records.pageInfo.endCursor ?? null])}
        >
          Next page
        </button>
      </nav>
    </>
  );
}
