import { useCallback, useMemo, useState } from 'react';
import { LineageQuery } from '../api/datasetOperations';
import { useQuery } from '../api/useQuery';
import { LineageGraph } from '../components/LineageGraph';
import { ErrorNote, Section } from '../components/ui';
import type { LineageDirection } from '../gql/graphql';

/** The console's address of the lineage graph around `id` (a node id, or an id the API returned), as of `asOf`. */
export function lineageHref(id: string, asOf?: string): string {
  return `#/lineage/${encodeURIComponent(id)}${asOf ? `/${encodeURIComponent(asOf)}` : ''}`;
}

/** Whether `nodeId` is the node asked about by `id` (a node id, or the id the API returned for it). */
const isFocus = (nodeId: string, id: string) => nodeId === id || nodeId.endsWith(`:${id}`);

/** `<input type="datetime-local">` speaks local time to the minute or second; the API speaks ISO instants. */
const toLocalInput = (iso: string) => {
  const at = new Date(iso);
  const shifted = new Date(at.getTime() - at.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 19);
};

/**
 * The lineage graph of any object (dataset revision, run, model version, evaluation, deployment, interaction):
 * upstream (what it came from) or downstream (what came of it), now or as it stood at `asOf`. The moment is
 * chosen with a slider over the moments the graph's nodes and edges were made, or typed as a date and time;
 * either re-queries `lineage(asOf:)`, which folds the graph from the log.
 */
export function LineagePage(props: { readonly id: string; readonly asOf: string | undefined }) {
  const [direction, setDirection] = useState<LineageDirection>('UPSTREAM');
  const { id, asOf } = props;
  const current = useQuery(LineageQuery, { id, direction });
  const atMoment = useQuery(LineageQuery, { id, direction, asOf: asOf ?? null }, { skip: !asOf });
  const shown = asOf ? atMoment : current;
  const lineage = shown.data?.lineage;

  // The object's history: every moment, from its own creation on, its graph (as it stands now) gained a node
  // or an edge. Before its creation the object had no graph.
  const moments = useMemo(() => {
    const graph = current.data?.lineage;
    if (!graph) return [];
    const born = graph.nodes.find((n) => isFocus(n.nodeId, id))?.createdAt;
    const since = born ? new Date(born).toISOString() : '';
    const all = [...graph.nodes, ...graph.edges]
      .map((x) => new Date(x.createdAt).toISOString())
      .filter((at) => at >= since);
    return [...new Set(all)].sort();
  }, [current.data, id]);
  // Slider position i shows the graph after moment i and before moment i + 1 (the last position: now). A node's
  // time is its event's own time, a little before the log recorded it, so asking as of the next moment less 1 ms
  // includes moment i's events and none of the next.
  const last = moments.length - 1;
  const asOfPosition = (i: number) =>
    i < last ? new Date(new Date(moments[i + 1]!).getTime() - 1).toISOString() : undefined;
  const position = asOf
    ? Math.max(0, moments.filter((m) => m <= new Date(asOf).toISOString()).length - 1)
    : Math.max(0, last);
  const goTo = useCallback((nodeId: string, at?: string) => {
    window.location.hash = lineageHref(nodeId, at);
  }, []);
  const open = useCallback((nodeId: string) => goTo(nodeId, asOf), [goTo, asOf]);

  const nodes = lineage?.nodes ?? [];
  const edges = lineage?.edges ?? [];
  const focus = nodes.find((n) => isFocus(n.nodeId, id))?.nodeId ?? id;
  const labelOf = new Map(nodes.map((n) => [n.nodeId, n.label]));

  return (
    <>
      <h1>Lineage of {id}</h1>
      <div className="filters">
        <label>
          Direction
          <select value={direction} onChange={(e) => setDirection(e.target.value as LineageDirection)}>
            <option value="UPSTREAM">upstream: what it came from</option>
            <option value="DOWNSTREAM">downstream: what came of it</option>
          </select>
        </label>
        <label>
          History ({moments.length} {moments.length === 1 ? 'moment' : 'moments'})
          <input
            type="range"
            min={0}
            max={Math.max(0, last)}
            step={1}
            value={position}
            disabled={moments.length < 2}
            aria-valuetext={
              asOf && position < last
                ? `after ${new Date(moments[position]!).toLocaleString()}, moment ${position + 1} of ${moments.length}`
                : asOf
                  ? `as of ${new Date(asOf).toLocaleString()}`
                  : 'now'
            }
            onChange={(e) => goTo(id, asOfPosition(Number(e.target.value)))}
          />
        </label>
        <label>
          As of
          <input
            type="datetime-local"
            step={1}
            value={asOf ? toLocalInput(asOf) : ''}
            onChange={(e) => goTo(id, e.target.value ? new Date(e.target.value).toISOString() : undefined)}
          />
        </label>
        {asOf ? (
          <button type="button" onClick={() => goTo(id)}>
            Now
          </button>
        ) : null}
      </div>
      <p data-testid="lineage-moment">
        {asOf ? `As it stood at ${new Date(asOf).toLocaleString()}` : 'As it stands now'}: {nodes.length}{' '}
        nodes, {edges.length} edges{lineage?.truncated ? ' (cut at the node limit)' : ''}.
      </p>
      <ErrorNote error={shown.error} />
      {lineage ? (
        <LineageGraph
          nodes={nodes}
          edges={edges}
          focus={focus}
          label={`Lineage graph of ${id}: ${nodes.length} nodes, ${edges.length} edges`}
          onOpen={open}
        />
      ) : (
        <p>{shown.loading ? 'Loading…' : ''}</p>
      )}
      <Section title="Nodes">
        <table>
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Kind</th>
              <th scope="col">Recorded</th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((node) => (
              <tr key={node.nodeId} data-testid="lineage-node">
                <td>
                  <a href={lineageHref(node.nodeId, asOf)}>{node.label}</a>
                  {node.nodeId === focus ? ' (this)' : ''}
                </td>
                <td>{node.kind}</td>
                <td>{new Date(node.createdAt).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title="Edges">
        <table>
          <thead>
            <tr>
              <th scope="col">From</th>
              <th scope="col">Relation</th>
              <th scope="col">To</th>
            </tr>
          </thead>
          <tbody>
            {edges.map((edge) => (
              <tr key={`${edge.from} ${edge.relation} ${edge.to}`}>
                <td>{labelOf.get(edge.from) ?? edge.from}</td>
                <td>{edge.relation}</td>
                <td>{labelOf.get(edge.to) ?? edge.to}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}
