import { useEffect, useState, type FormEvent } from 'react';
import { request, session } from './api/client';
import { MeQuery } from './api/operations';
import { ErrorNote } from './components/ui';
import { AuditPage } from './pages/AuditPage';
import { DatasetPage, DatasetsPage } from './pages/DatasetsPage';
import { DeploymentsPage } from './pages/DeploymentsPage';
import { EvaluationPage, EvaluationsPage } from './pages/EvaluationsPage';
import { LabelingPage } from './pages/LabelingPage';
import { LineagePage } from './pages/LineagePage';
import { ComparePage, RunPage } from './pages/RunPage';
import { RecordsPage } from './pages/RecordsPage';
import { RunsPage } from './pages/RunsPage';
import { ViewerContext, type Viewer } from './session';

/** Pages live in the URL's hash, so the platform serves one file at / and reloads keep the page. */
function useHashRoute(): string[] {
  const read = () =>
    window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function Page(props: { readonly route: readonly string[] }) {
  const [section, a, b] = props.route;
  switch (section) {
    case undefined:
    case 'runs':
      return a ? <RunPage runId={a} /> : <RunsPage />;
    case 'compare':
      return <ComparePage runIds={(a ?? '').split(',').filter(Boolean)} />;
    case 'deployments':
      return <DeploymentsPage />;
    case 'labeling':
      return <LabelingPage />;
    case 'datasets':
      return a ? <DatasetPage datasetId={a} /> : <DatasetsPage />;
    case 'records':
      return a && b ? (
        <RecordsPage key={`${a}@${b}`} datasetId={a} revision={Number(b)} />
      ) : (
        <p role="alert">The record viewer needs a dataset and a revision: open one from Datasets.</p>
      );
    case 'evaluations':
      return a ? <EvaluationPage evaluationId={a} /> : <EvaluationsPage />;
    case 'lineage':
      return a ? (
        <LineagePage id={a} asOf={b} />
      ) : (
        <p role="alert">A lineage graph needs an object: open one from a dataset, run or the registry.</p>
      );
    case 'audit':
      if (a === 'deployment' && b) return <AuditPage subject={{ kind: 'deployment', deploymentName: b }} />;
      if (a === 'model' && b && props.route[3])
        return <AuditPage subject={{ kind: 'model', modelName: b, version: Number(props.route[3]) }} />;
      return (
        <p role="alert">An audit report needs a deployment or a model version: open one from Deployments.</p>
      );
    default:
      return <p role="alert">No page {section}.</p>;
  }
}

export function App() {
  const route = useHashRoute();
  const [viewer, setViewer] = useState<Viewer | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [signedIn, setSignedIn] = useState(0);
  useEffect(() => {
    setError(null);
    request(MeQuery).then(
      (answer) => setViewer(answer.me),
      (failure: Error) => {
        setViewer(null);
        setError(failure);
      },
    );
  }, [signedIn]);

  return (
    <ViewerContext.Provider value={viewer}>
      <header>
        <a className="brand" href="#/runs">
          tuneledger
        </a>
        <nav aria-label="pages">
          <a href="#/runs" aria-current={route[0] === 'runs' || !route[0] ? 'page' : undefined}>
            Runs
          </a>
          <a href="#/deployments" aria-current={route[0] === 'deployments' ? 'page' : undefined}>
            Registry and deployments
          </a>
          <a href="#/datasets" aria-current={route[0] === 'datasets' ? 'page' : undefined}>
            Datasets
          </a>
          <a href="#/evaluations" aria-current={route[0] === 'evaluations' ? 'page' : undefined}>
            Evaluations
          </a>
          <a href="#/labeling" aria-current={route[0] === 'labeling' ? 'page' : undefined}>
            Labeling
          </a>
        </nav>
        <SignIn viewer={viewer} onChange={() => setSignedIn((n) => n + 1)} />
      </header>
      <main>
        <ErrorNote error={error} />
        {viewer ? <Page route={route} /> : null}
      </main>
    </ViewerContext.Provider>
  );
}

/** Sign-in with an API token; local mode needs none and says so. */
function SignIn(props: { readonly viewer: Viewer | null; readonly onChange: () => void }) {
  const [token, setToken] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    session.signIn(token.trim());
    setToken('');
    props.onChange();
  };
  if (props.viewer && (props.viewer.localMode || session.token())) {
    return (
      <div className="viewer" data-testid="viewer">
        {props.viewer.actor} ({props.viewer.roles.join(', ')}){props.viewer.localMode ? ' — local mode' : ''}
        {session.token() ? (
          <button
            type="button"
            onClick={() => {
              session.signOut();
              props.onChange();
            }}
          >
            Sign out
          </button>
        ) : null}
      </div>
    );
  }
  return (
    <form onSubmit={submit} className="signin">
      <label>
        API token
        <input type="password" required value={token} onChange={(e) => setToken(e.target.value)} />
      </label>
      <button type="submit">Sign in</button>
    </form>
  );
}
