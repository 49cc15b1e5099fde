import { useState } from 'react';
import { download } from '../api/client';
import { AuditByDeploymentQuery, AuditByModelQuery } from '../api/operations';
import { useQuery } from '../api/useQuery';
import { ErrorNote, Section } from '../components/ui';

interface AuditEvent {
  readonly streamId: string;
  readonly type: string;
  readonly actor: string;
  readonly recordedAt: string;
  readonly data: Record<string, unknown>;
}
interface ReportBody {
  readonly registry?: readonly AuditEvent[];
  readonly deployments?: readonly { deploymentName: string; events: readonly AuditEvent[] }[];
  readonly runs?: readonly { runId: string; events: readonly AuditEvent[] }[];
  readonly evaluations?: readonly { evaluationId: string; events: readonly AuditEvent[] }[];
  readonly datasetRevisions?: readonly AuditEvent[];
}

export type AuditSubject =
  | { readonly kind: 'deployment'; readonly deploymentName: string }
  | { readonly kind: 'model'; readonly modelName: string; readonly version: number };

/** The audit report: the chain verdict, who did what and when, and downloads as JSON, Markdown or HTML. */
export function AuditPage(props: { readonly subject: AuditSubject }) {
  const subject = props.subject;
  const [downloadError, setDownloadError] = useState<Error | null>(null);
  const byDeployment = useQuery(
    AuditByDeploymentQuery,
    { deployment: subject.kind === 'deployment' ? subject.deploymentName : '' },
    { skip: subject.kind !== 'deployment' },
  );
  const byModel = useQuery(
    AuditByModelQuery,
    subject.kind === 'model'
      ? { modelName: subject.modelName, version: subject.version }
      : { modelName: '', version: 0 },
    { skip: subject.kind !== 'model' },
  );
  const state = subject.kind === 'deployment' ? byDeployment : byModel;
  const audit = subject.kind === 'deployment' ? byDeployment.data?.auditReport : byModel.data?.auditReport;
  const path =
    subject.kind === 'deployment'
      ? `/reports/deployments/${encodeURIComponent(subject.deploymentName)}?asOf=${encodeURIComponent(new Date().toISOString())}`
      : `/reports/models/${encodeURIComponent(subject.modelName)}/${subject.version}`;
  const name =
    subject.kind === 'deployment' ? subject.deploymentName : `${subject.modelName}-v${subject.version}`;

  if (state.error) return <ErrorNote error={state.error} />;
  if (!audit) return <p>{state.loading ? 'Loading…' : 'No such report.'}</p>;
  const report = audit.report as ReportBody;
  const events: AuditEvent[] = [
    ...(report.datasetRevisions ?? []),
    ...(report.runs ?? []).flatMap((r) => r.events),
    ...(report.evaluations ?? []).flatMap((e) => e.events),
    ...(report.registry ?? []),
    ...(report.deployments ?? []).flatMap((d) => d.events),
  ].sort((a, b) => a.recordedAt.localeCompare(b.recordedAt));

  return (
    <>
      <h1>
        Audit report: {audit.modelName} v{audit.version}
        {subject.kind === 'deployment' ? ` (deployment ${subject.deploymentName}, now)` : ''}
      </h1>
      <p data-testid="chain-verdict" className={audit.allChainsIntact ? 'ok' : 'error'}>
        {audit.allChainsIntact
          ? `Hash chains intact (${audit.integrity.length} streams verified).`
          : `Hash chains NOT intact: ${audit.integrity
              .filter((s) => !s.ok)
              .map((s) => s.streamId)
              .join(', ')}`}
      </p>
      <p className="downloads">
        Download:{' '}
        {(['json', 'md', 'html'] as const).map((format) => (
          <button
            key={format}
            type="button"
            onClick={() =>
              download(`${path}${path.includes('?') ? '&' : '?'}format=${format}`, `${name}.${format}`).catch(
                setDownloadError,
              )
            }
          >
            {format.toUpperCase()}
          </button>
        ))}
      </p>
      <ErrorNote error={downloadError} />
      <Section title="Who did what">
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">By</th>
              <th scope="col">Stream</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event, index) => (
              <tr key={index}>
                <td>{new Date(event.recordedAt).toLocaleString()}</td>
                <td>{event.type}</td>
                <td>{event.actor}</td>
                <td>{event.streamId}</td>
                <td>{typeof event.data.reason === 'string' ? event.data.reason : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}
