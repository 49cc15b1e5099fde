import { useState, type FormEvent } from 'react';
import { request } from '../api/client';
import { DeployMutation, DeploymentsQuery, ModelsQuery, RollbackMutation } from '../api/operations';
import { useQuery } from '../api/useQuery';
import { ErrorNote, formatNumber, Section, StatusBadge } from '../components/ui';
import type { DeploymentsQuery as DeploymentsAnswer } from '../gql/graphql';
import { can, useViewer } from '../session';
import { lineageHref } from './LineagePage';

type Deployment = DeploymentsAnswer['deployments']['edges'][number]['node'];

/** The registry (versions, stages, retention, approvers) and deployments: deploy, roll back, the entropy monitor. */
export function DeploymentsPage() {
  const viewer = useViewer();
  const deployments = useQuery(DeploymentsQuery, {}, { pollMs: 2000 });
  const models = useQuery(ModelsQuery, {}, { pollMs: 5000 });
  const approver = can(viewer, 'APPROVER');

  return (
    <>
      <h1>Registry and deployments</h1>
      <Section title="Deployments">
        <ErrorNote error={deployments.error} />
        {deployments.data?.deployments.edges.length === 0 ? <p>No deployments yet.</p> : null}
        {deployments.data?.deployments.edges.map(({ node }) => (
          <DeploymentCard
            key={node.deploymentName}
            deployment={node}
            approver={approver}
            onChange={deployments.reload}
          />
        ))}
      </Section>
      <Section title="Model registry">
        <ErrorNote error={models.error} />
        <table>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Version</th>
              <th scope="col">Stage</th>
              <th scope="col">Approved by</th>
              <th scope="col">Retained</th>
              <th scope="col">Run</th>
              <th scope="col">Registered</th>
              <th scope="col">Lineage</th>
            </tr>
          </thead>
          <tbody>
            {models.data?.models.edges.flatMap(({ node: model }) =>
              model.versions.edges.map(({ node: v }) => (
                <tr key={`${model.modelName}@${v.version}`}>
                  <td>{model.modelName}</td>
                  <td>
                    <a href={`#/audit/model/${encodeURIComponent(model.modelName)}/${v.version}`}>
                      v{v.version}
                    </a>
                  </td>
                  <td>{v.stage}</td>
                  <td>{v.approvedBy ?? '—'}</td>
                  <td>{v.retained ? 'yes' : 'archived'}</td>
                  <td>{v.runId ? <a href={`#/runs/${v.runId}`}>{v.runId.slice(0, 8)}</a> : '—'}</td>
                  <td>{new Date(v.registeredAt).toLocaleString()}</td>
                  <td>
                    <a
                      href={lineageHref(`model:${model.modelName}@${v.version}`)}
                      aria-label={`lineage of ${model.modelName} v${v.version}`}
                    >
                      Lineage
                    </a>
                  </td>
                </tr>
              )),
            )}
          </tbody>
        </table>
        {approver ? <DeployForm onDeployed={deployments.reload} /> : null}
      </Section>
    </>
  );
}

function DeploymentCard(props: {
  readonly deployment: Deployment;
  readonly approver: boolean;
  readonly onChange: () => void;
}) {
  const d = props.deployment;
  const degradation = d.lastDegradation as {
    metric?: string;
    baseline?: number;
    current?: number;
    changePct?: number;
  } | null;
  const earlier = [
    ...new Set(
      d.history.edges
        .map(({ node }) => node.version)
        .filter((v): v is number => typeof v === 'number' && v !== d.activeVersion),
    ),
  ];
  return (
    <article className="card" aria-label={`deployment ${d.deploymentName}`}>
      <h3>{d.deploymentName}</h3>
      <dl className="facts">
        <dt>Model</dt>
        <dd>{d.modelName ?? '—'}</dd>
        <dt>Active version</dt>
        <dd data-testid="active-version">{d.activeVersion ?? '—'}</dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={d.status} />
        </dd>
        <dt>Environment</dt>
        <dd>{d.environment ?? '—'}</dd>
        <dt>Rollbacks</dt>
        <dd>{d.rollbackCount}</dd>
        <dt>Entropy monitor</dt>
        <dd>
          {degradation
            ? `${degradation.metric}: window ${formatNumber(degradation.current)} against baseline ${formatNumber(degradation.baseline)} (${formatNumber(degradation.changePct, 3)}%)`
            : `no degradation seen (${d.degradationCount})`}
        </dd>
      </dl>
      <table>
        <caption>History</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">What</th>
            <th scope="col">Version</th>
            <th scope="col">Trigger and reason</th>
          </tr>
        </thead>
        <tbody>
          {d.history.edges.map(({ node }) => {
            const details = node.details as { trigger?: string; reason?: string };
            return (
              <tr key={`${node.recordedAt}-${node.kind}-${node.version}`}>
                <td>{new Date(node.recordedAt).toLocaleString()}</td>
                <td>{node.kind}</td>
                <td>
                  {node.fromVersion ? `${node.fromVersion} → ` : ''}
                  {node.version ?? '—'}
                </td>
                <td>{[details.trigger, details.reason].filter(Boolean).join(': ') || '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p>
        <a href={`#/audit/deployment/${encodeURIComponent(d.deploymentName)}`}>Audit report</a>
        {' · '}
        <a href={lineageHref(`deployment:${d.deploymentName}`)}>Lineage</a>
      </p>
      {props.approver && earlier.length > 0 ? (
        <RollbackForm deploymentName={d.deploymentName} versions={earlier} onDone={props.onChange} />
      ) : null}
    </article>
  );
}

/** One-click rollback with a reason; only shown to approvers (the API checks the role again). */
function RollbackForm(props: {
  readonly deploymentName: string;
  readonly versions: readonly number[];
  readonly onDone: () => void;
}) {
  const [toVersion, setToVersion] = useState(String(props.versions[0]));
  const [reason, setReason] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await request(RollbackMutation, {
        deploymentName: props.deploymentName,
        toVersion: Number(toVersion),
        reason,
      });
      setDone(`Rollback to v${toVersion} requested.`);
      setReason('');
      props.onDone();
    } catch (failure) {
      setError(failure as Error);
    }
  };
  return (
    <form onSubmit={submit} className="form inline" aria-label={`roll back ${props.deploymentName}`}>
      <label>
        Roll back to
        <select value={toVersion} onChange={(e) => setToVersion(e.target.value)}>
          {props.versions.map((v) => (
            <option key={v} value={v}>
              v{v}
            </option>
          ))}
        </select>
      </label>
      <label>
        Reason
        <input required value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      <button type="submit">Roll back</button>
      {done ? <p role="status">{done}</p> : null}
      <ErrorNote error={error} />
    </form>
  );
}

function DeployForm(props: { readonly onDeployed: () => void }) {
  const [deploymentName, setDeploymentName] = useState('');
  const [modelName, setModelName] = useState('');
  const [version, setVersion] = useState('1');
  const [environment, setEnvironment] = useState('production');
  const [error, setError] = useState<Error | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await request(DeployMutation, { deploymentName, modelName, version: Number(version), environment });
      props.onDeployed();
    } catch (failure) {
      setError(failure as Error);
    }
  };
  return (
    <form onSubmit={submit} className="form" aria-label="deploy a version">
      <h3>Deploy a version</h3>
      <label>
        Deployment
        <input required value={deploymentName} onChange={(e) => setDeploymentName(e.target.value)} />
      </label>
      <label>
        Model
        <input required value={modelName} onChange={(e) => setModelName(e.target.value)} />
      </label>
      <label>
        Version
        <input required type="number" min={1} value={version} onChange={(e) => setVersion(e.target.value)} />
      </label>
      <label>
        Environment
        <input required value={environment} onChange={(e) => setEnvironment(e.target.value)} />
      </label>
      <button type="submit">Deploy</button>
      <ErrorNote error={error} />
    </form>
  );
}
