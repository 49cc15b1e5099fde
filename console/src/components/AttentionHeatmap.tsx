/** One attention map (tuneledger-attention/1, from an evaluation's heatmap artifact) drawn as an SVG grid. */
export interface AttentionGrid {
  readonly exampleId: string;
  readonly layer: number;
  readonly head: number;
  readonly queryLabels: readonly string[];
  readonly keyLabels: readonly string[];
  readonly weights: readonly (readonly number[])[];
}

const CELL = 14;
const LABEL_WIDTH = 90;
const LABEL_HEIGHT = 90;
// The worker's ramp (src/ml/eval/heatmap.ts): white for 0, navy for 1.
const LOW = [255, 255, 255];
const HIGH = [8, 48, 107];

function colour(weight: number): string {
  const t = Number.isFinite(weight) ? Math.min(1, Math.max(0, weight)) : 0;
  const rgb = LOW.map((low, i) => Math.round(low + (HIGH[i]! - low) * t));
  return `rgb(${rgb.join(',')})`;
}

/** A token as a label: spaces and line breaks made visible, long ones shortened. */
function tokenLabel(token: string): string {
  const shown = token.replace(/\n/g, '⏎').replace(/^ /, '·').replace(/ /g, '·');
  return shown.length > 10 ? `${shown.slice(0, 9)}…` : shown;
}

/**
 * The grid: one row per query token (the end of the prompt), one column per key token, darker for more attention.
 * Each cell says its tokens and weight (an SVG title, read by screen readers and shown on hover); the figure's
 * title and description say what it is.
 */
export function AttentionHeatmap(props: { readonly grid: AttentionGrid }) {
  const { grid } = props;
  const rows = grid.weights.length;
  const cols = grid.keyLabels.length;
  const width = LABEL_WIDTH + cols * CELL;
  const height = LABEL_HEIGHT + rows * CELL;
  const id = `heatmap-${grid.exampleId}-${grid.layer}-${grid.head}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const name = `Attention of example ${grid.exampleId}, layer ${grid.layer}, head ${grid.head}`;
  return (
    <figure className="heatmap">
      <svg
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        data-testid="heatmap"
      >
        <title id={`${id}-title`}>{name}</title>
        <desc id={`${id}-desc`}>
          {rows} query tokens (rows) by {cols} key tokens (columns); darker cells attend more, from 0 (white)
          to 1 (navy).
        </desc>
        {grid.keyLabels.map((token, col) => (
          <text
            key={`k${col}`}
            className="token"
            transform={`translate(${LABEL_WIDTH + col * CELL + CELL * 0.7}, ${LABEL_HEIGHT - 4}) rotate(-60)`}
          >
            {tokenLabel(token)}
          </text>
        ))}
        {grid.queryLabels.map((token, row) => (
          <text
            key={`q${row}`}
            className="token"
            x={LABEL_WIDTH - 4}
            y={LABEL_HEIGHT + row * CELL + CELL * 0.75}
            textAnchor="end"
          >
            {tokenLabel(token)}
          </text>
        ))}
        {grid.weights.map((weights, row) =>
          weights.map((weight, col) => (
            <rect
              key={`${row}-${col}`}
              x={LABEL_WIDTH + col * CELL}
              y={LABEL_HEIGHT + row * CELL}
              width={CELL}
              height={CELL}
              fill={colour(weight)}
              data-weight={weight}
            >
              <title>{`${grid.queryLabels[row]} → ${grid.keyLabels[col]}: ${weight.toFixed(3)}`}</title>
            </rect>
          )),
        )}
      </svg>
      <figcaption>{name}</figcaption>
    </figure>
  );
}
