import { useState } from 'react';
import { DatasetQuery, DatasetsQuery } from '../api/datasetOperations';
import { useQuery } from '../api/useQuery';
import { ErrorNote, formatNumber, Section } from '../components/ui';
import { lineageHref } from './LineagePage';
import { recordsHref } from './RecordsPage';

interface SplitInfo {
  readonly recordCount: number;
  readonly byteSize: number;
  readonly hash: string;
}
interface Splits {
  readonly train?: SplitInfo;
  readonly eval?: SplitInfo;
}
interface PiiReport {
  readonly counts?: Record<string, number>;
  readonly policy?: Record<string, string>;
}
interface QualityReport {
  readonly rejected?: readonly { line: number; reason: string }[];
  readonly instructionQuality?: { mean: number; min: number; max: number };
}
interface Agreement {
  readonly prompts: number;
  readonly labelers: number;
  readonly meanTau: number | null;
  readonly minAgreement?: number | null;
  readonly excludedLabelers?: number;
  readonly excludedRankings?: number;
}
interface Transform {
  readonly kind?: string;
  readonly params?: { agreement?: Agreement; warnings?: readonly string[] } & Record<string, unknown>;
}

/** Datasets: every dataset with its format, domain and revisions; archived ones on request. */
export function DatasetsPage() {
  const [includeArchived, setIncludeArchived] = useState(false);
  const datasets = useQuery(DatasetsQuery, { first: 100, includeArchived });
  const rows = datasets.data?.datasets.edges.map((edge) => edge.node) ?? [];
  return (
    <>
      <h1>Datasets</h1>
      <div className="filters">
        <label className="inline">
          <input
            type="checkbox"
            checked={includeArchived}
            onChange={(e) => setIncludeArchived(e.target.checked)}
          />
          Include archived
        </label>
      </div>
      <ErrorNote error={datasets.error} />
      <table>
        <caption className="visually-hidden">Datasets</caption>
        <thead>
          <tr>
            <th scope="col">Dataset</th>
            <th scope="col">Name</th>
            <th scope="col">Format</th>
            <th scope="col">Domain</th>
            <th scope="col">Revisions</th>
            <th scope="col">Registered</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((dataset) => (
            <tr key={dataset.datasetId}>
              <td>
                <a href={`#/datasets/${encodeURIComponent(dataset.datasetId)}`}>{dataset.datasetId}</a>
                {dataset.archived ? ' (archived)' : ''}
              </td>
              <td>{dataset.name}</td>
              <td>{dataset.format}</td>
              <td>{dataset.domain}</td>
              <td>{dataset.revisionCount}</td>
              <td>{new Date(dataset.registeredAt).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && !datasets.loading ? <p>No datasets yet.</p> : null}
    </>
  );
}

/** A dataset: its revisions, newest first, each with its splits, hash, transform, quality and PII reports. */
export function DatasetPage(props: { readonly datasetId: string }) {
  const dataset = useQuery(DatasetQuery, { datasetId: props.datasetId });
  const info = dataset.data?.dataset;
  if (dataset.error) return <ErrorNote error={dataset.error} />;
  if (!info) return <p>{dataset.loading ? 'Loading…' : `No dataset ${props.datasetId}.`}</p>;
  const revisions = info.revisions.edges.map((edge) => edge.node).sort((a, b) => b.revision - a.revision);
  return (
    <>
      <h1>
        Dataset {info.name} ({info.datasetId})
      </h1>
      <dl className="facts">
        <dt>Format</dt>
        <dd>{info.format}</dd>
        <dt>Domain</dt>
        <dd>{info.domain}</dd>
        <dt>Description</dt>
        <dd>{info.description || '—'}</dd>
        <dt>Registered</dt>
        <dd>{new Date(info.registeredAt).toLocaleString()}</dd>
        {info.archived ? (
          <>
            <dt>Archived</dt>
            <dd>{info.archivedReason ?? 'yes'}</dd>
          </>
        ) : null}
      </dl>
      {revisions.length === 0 ? <p>No revisions yet.</p> : null}
      {revisions.map((revision) => {
        const splits = revision.splits as Splits;
        const pii = (revision.piiReport ?? {}) as PiiReport;
        const quality = (revision.qualityReport ?? {}) as QualityReport;
        const transform = revision.transform as Transform;
        const agreement = transform.params?.agreement;
        const warnings = transform.params?.warnings ?? [];
        const name = `revision ${revision.revision}`;
        return (
          <article key={revision.revision} className="card" aria-label={name}>
            <h2>
              Revision {revision.revision}: {revision.transformKind}
              {revision.parentRevision ? ` of revision ${revision.parentRevision}` : ''}
            </h2>
            <dl className="facts">
              <dt>Format</dt>
              <dd>{info.format}</dd>
              <dt>Records</dt>
              <dd data-testid="record-count">{revision.recordCount}</dd>
              <dt>Splits</dt>
              <dd>
                train {splits.train?.recordCount ?? 0}, eval {splits.eval?.recordCount ?? 0}
              </dd>
              <dt>Bytes</dt>
              <dd>{revision.byteSize}</dd>
              <dt>Content hash</dt>
              <dd>
                <code>{revision.contentHash}</code>
              </dd>
              {revision.sourceInteractionCount > 0 ? (
                <>
                  <dt>From interactions</dt>
                  <dd>{revision.sourceInteractionCount}</dd>
                </>
              ) : null}
              <dt>Added</dt>
              <dd>{new Date(revision.addedAt).toLocaleString()}</dd>
              <dt>Lineage</dt>
              <dd>
                <a href={lineageHref(`dataset:${info.datasetId}@${revision.revision}`)}>Lineage of {name}</a>
              </dd>
              <dt>Record viewer</dt>
              <dd>
                <a href={recordsHref(info.datasetId, revision.revision)}>Records of {name}</a>
              </dd>
            </dl>
            {warnings.length > 0 ? (
              <ul className="hint">
                {warnings.map((warning) => (
                  <li key={warning}>{warning}</li>
                ))}
              </ul>
            ) : null}
            <PiiTable name={name} report={pii} />
            <QualityTable name={name} report={quality} />
            {agreement ? <AgreementFacts agreement={agreement} /> : null}
          </article>
        );
      })}
    </>
  );
}

function PiiTable(props: { readonly name: string; readonly report: PiiReport }) {
  const counts = Object.entries(props.report.counts ?? {});
  if (counts.length === 0) return <p>No PII found.</p>;
  return (
    <table>
      <caption>PII found, by kind</caption>
      <thead>
        <tr>
          <th scope="col">Kind</th>
          <th scope="col">Count</th>
          <th scope="col">Action</th>
        </tr>
      </thead>
      <tbody>
        {counts.map(([kind, count]) => (
          <tr key={kind} data-testid="pii-count" data-kind={kind}>
            <th scope="row">{kind}</th>
            <td>{count}</td>
            <td>{props.report.policy?.[kind] ?? 'redact'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function QualityTable(props: { readonly name: string; readonly report: QualityReport }) {
  const byReason = new Map<string, number[]>();
  for (const rejected of props.report.rejected ?? [])
    byReason.set(rejected.reason, [...(byReason.get(rejected.reason) ?? []), rejected.line]);
  const score = props.report.instructionQuality;
  return (
    <>
      {score ? (
        <p>
          Instruction quality (0-3): mean {formatNumber(score.mean, 3)}, min {formatNumber(score.min, 3)}, max{' '}
          {formatNumber(score.max, 3)}
        </p>
      ) : null}
      {byReason.size === 0 ? (
        <p>No records rejected.</p>
      ) : (
        <table>
          <caption>Rejected records, by reason</caption>
          <thead>
            <tr>
              <th scope="col">Reason</th>
              <th scope="col">Records</th>
              <th scope="col">Lines</th>
            </tr>
          </thead>
          <tbody>
            {[...byReason].map(([reason, lines]) => (
              <tr key={reason} data-testid="rejected-reason">
                <th scope="row">{reason}</th>
                <td>{lines.length}</td>
                <td>
                  {lines.slice(0, 20).join(', ')}
                  {lines.length > 20 ? ', …' : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function AgreementFacts(props: { readonly agreement: Agreement }) {
  const a = props.agreement;
  return (
    <Section title="Labeler agreement">
      <p data-testid="agreement">
        Mean Kendall&apos;s tau{' '}
        {a.meanTau === null ? '— (no prompt ranked twice)' : formatNumber(a.meanTau, 3)} over {a.prompts}{' '}
        prompts ranked by two labelers or more, {a.labelers} labelers measured
        {a.minAgreement !== undefined && a.minAgreement !== null
          ? `; below ${a.minAgreement}: ${a.excludedLabelers ?? 0} labelers and ${a.excludedRankings ?? 0} rankings left out`
          : ''}
        .
      </p>
    </Section>
  );
}
