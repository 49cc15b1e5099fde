import cytoscape from 'cytoscape';
import { useEffect, useRef } from 'react';
import type { LineageNodeKind, LineageRelation } from '../gql/graphql';

export interface GraphNode {
  readonly nodeId: string;
  readonly kind: LineageNodeKind;
  readonly label: string;
}
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly relation: LineageRelation;
}

/** Colours by node kind. */
const kindColours: Record<LineageNodeKind, string> = {
  DATASET_REVISION: '#2f6fb0',
  RUN: '#b8621b',
  MODEL_VERSION: '#2c8a4b',
  EVALUATION: '#7a3fa0',
  DEPLOYMENT: '#a1140c',
  INTERACTION: '#59636e',
};

/**
 * A lineage graph drawn by Cytoscape.js (breadth-first, arrows from source to product), the focus node outlined.
 * Tapping a node calls `onOpen` with its id. The figure carries the counts it drew (data-nodes, data-edges), and
 * its label says them, for people and tests that cannot see the canvas.
 */
export function LineageGraph(props: {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  readonly focus: string;
  readonly label: string;
  readonly onOpen: (nodeId: string) => void;
}) {
  const container = useRef<HTMLDivElement>(null);
  const { nodes, edges, focus, onOpen } = props;
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const known = new Set(nodes.map((n) => n.nodeId));
    const cy = cytoscape({
      container: element,
      elements: [
        ...nodes.map((n) => ({
          group: 'nodes' as const,
          data: { id: n.nodeId, label: n.label, colour: kindColours[n.kind] },
          classes: n.nodeId === focus ? 'focus' : '',
        })),
        // An edge to a node beyond the walk's limit has nothing to attach to.
        ...edges
          .filter((e) => known.has(e.from) && known.has(e.to))
          .map((e, index) => ({
            group: 'edges' as const,
            data: { id: `edge-${index}`, source: e.from, target: e.to, label: e.relation },
          })),
      ],
      style: [
        {
          selector: 'node',
          style: {
            'background-color': 'data(colour)',
            label: 'data(label)',
            'font-size': 11,
            'text-valign': 'bottom',
            'text-margin-y': 4,
            width: 22,
            height: 22,
          },
        },
        { selector: 'node.focus', style: { 'border-width': 4, 'border-color': '#f0b400' } },
        {
          selector: 'edge',
          style: {
            width: 1.5,
            'line-color': '#888',
            'target-arrow-color': '#888',
            'target-arrow-shape': 'triangle',
            'curve-style': 'bezier',
            label: 'data(label)',
            'font-size': 9,
            color: '#444',
          },
        },
      ],
      layout: { name: 'breadthfirst', directed: true, padding: 20, spacingFactor: 1.2 },
      wheelSensitivity: 0.3,
    });
    cy.on('tap', 'node', (event) => onOpen(event.target.id() as string));
    element.dataset.nodes = String(cy.nodes().length);
    element.dataset.edges = String(cy.edges().length);
    return () => cy.destroy();
  }, [nodes, edges, focus, onOpen]);

  return (
    <div
      ref={container}
      className="lineage-graph"
      role="img"
      aria-label={props.label}
      data-testid="lineage-graph"
    />
  );
}
