/**
 * Attention heatmaps as SVG (with token labels) and PNG (grid only, via pngjs). Weights are
 * mapped linearly from [min, max] (default [0, 1], the range of softmax attention) onto a
 * white-to-navy colour ramp, so the same weight always has the same colour across heads.
 */
import { PNG } from 'pngjs';

export type Rgb = readonly [number, number, number];

export const COLOUR_LOW: Rgb = [255, 255, 255];
export const COLOUR_HIGH: Rgb = [8, 48, 107];

export interface ColourScale {
  readonly min?: number;
  readonly max?: number;
}

export function colourFor(weight: number, scale: ColourScale = {}): Rgb {
  const min = scale.min ?? 0;
  const max = scale.max ?? 1;
  const raw = max === min ? 0 : (weight - min) / (max - min);
  const t = Number.isFinite(raw) ? Math.min(1, Math.max(0, raw)) : 0;
  return [0, 1, 2].map((channel) =>
    Math.round(COLOUR_LOW[channel]! + (COLOUR_HIGH[channel]! - COLOUR_LOW[channel]!) * t),
  ) as unknown as Rgb;
}

function hex(rgb: Rgb): string {
  return `#${rgb.map((value) => value.toString(16).padStart(2, '0')).join('')}`;
}

export function escapeXml(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // Control characters other than tab/newline are not allowed in XML 1.0 at all.
      // eslint-disable-next-line no-control-regex -- these are exactly what must be replaced
      .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '\ufffd')
  );
}

function checkMatrix(weights: readonly (readonly number[])[]): { rows: number; cols: number } {
  const rows = weights.length;
  const cols = weights[0]?.length ?? 0;
  if (rows === 0 || cols === 0) throw new Error('heatmap: the attention matrix is empty');
  weights.forEach((row, index) => {
    if (row.length !== cols) {
      throw new Error(
        `heatmap: row ${index} has ${row.length} columns, expected ${cols} (a ragged attention matrix)`,
      );
    }
  });
  return { rows, cols };
}

export interface SvgHeatmapOptions extends ColourScale {
  /** Labels of query positions (rows) and key positions (columns). */
  readonly queryLabels: readonly string[];
  readonly keyLabels: readonly string[];
  readonly cellSize?: number;
  readonly title?: string;
}

export function renderHeatmapSvg(
  weights: readonly (readonly number[])[],
  options: SvgHeatmapOptions,
): string {
  const { rows, cols } = checkMatrix(weights);
  if (options.queryLabels.length !== rows || options.keyLabels.length !== cols) {
    throw new Error(
      `heatmap: ${options.queryLabels.length} query labels and ${options.keyLabels.length} key labels for a ${rows}x${cols} matrix`,
    );
  }
  const cell = options.cellSize ?? 20;
  const longest = (labels: readonly string[]) => Math.max(1, ...labels.map((label) => [...label].length));
  const left = Math.min(200, 8 + longest(options.queryLabels) * 7);
  const top = Math.min(200, 8 + longest(options.keyLabels) * 7) + (options.title ? 20 : 0);
  const width = left + cols * cell + 4;
  const height = top + rows * cell + 4;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
  ];
  if (options.title) parts.push(`<text x="4" y="14" font-size="13">${escapeXml(options.title)}</text>`);
  options.keyLabels.forEach((label, col) => {
    const x = left + col * cell + cell / 2;
    parts.push(
      `<text x="${x}" y="${top - 4}" transform="rotate(-60 ${x} ${top - 4})" class="key-label">${escapeXml(label)}</text>`,
    );
  });
  options.queryLabels.forEach((label, row) => {
    const y = top + row * cell + cell / 2 + 4;
    parts.push(
      `<text x="${left - 4}" y="${y}" text-anchor="end" class="query-label">${escapeXml(label)}</text>`,
    );
  });
  for (let row = 0; row < rows; row += 1) {
    for (let col = 0; col < cols; col += 1) {
      const weight = weights[row]![col]!;
      parts.push(
        `<rect x="${left + col * cell}" y="${top + row * cell}" width="${cell}" height="${cell}" fill="${hex(colourFor(weight, options))}"><title>${escapeXml(`${options.queryLabels[row]} → ${options.keyLabels[col]}: ${weight.toFixed(4)}`)}</title></rect>`,
      );
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}

export interface PngHeatmapOptions extends ColourScale {
  readonly cellSize?: number;
}

/** Cell (row, col) covers pixels x in [col*cellSize, (col+1)*cellSize), y likewise; no margins. */
export function renderHeatmapPng(
  weights: readonly (readonly number[])[],
  options: PngHeatmapOptions = {},
): Buffer {
  const { rows, cols } = checkMatrix(weights);
  const cell = options.cellSize ?? 8;
  const png = new PNG({ width: cols * cell, height: rows * cell });
  for (let row = 0; row < rows; row += 1) {
    for (let col = 0; col < cols; col += 1) {
      const [r, g, b] = colourFor(weights[row]![col]!, options);
      for (let dy = 0; dy < cell; dy += 1) {
        let offset = ((row * cell + dy) * png.width + col * cell) * 4;
        for (let dx = 0; dx < cell; dx += 1) {
          png.data[offset] = r;
          png.data[offset + 1] = g;
          png.data[offset + 2] = b;
          png.data[offset + 3] = 255;
          offset += 4;
        }
      }
    }
  }
  return PNG.sync.write(png);
}

export interface AttentionHeatmap {
  readonly layer: number;
  readonly head: number;
  readonly svg: string;
  readonly png: Buffer;
  /** The drawn weights, [query][key], and the tokens labelling rows and columns (for clients that draw their own). */
  readonly weights: readonly (readonly number[])[];
  readonly queryLabels: readonly string[];
  readonly keyLabels: readonly string[];
}

/**
 * Heatmaps for chosen layers and heads of a `[layers][heads][query][key]` attention array.
 * `tokens` label both axes (self-attention); pass `keyTokens` when keys differ from queries.
 */
export function attentionHeatmaps(
  attention: readonly (readonly (readonly (readonly number[])[])[])[],
  tokens: readonly string[],
  options: {
    layers?: readonly number[];
    heads?: readonly number[];
    keyTokens?: readonly string[];
    svgCellSize?: number;
    pngCellSize?: number;
  } = {},
): AttentionHeatmap[] {
  const layers = options.layers ?? attention.map((_, index) => index);
  const out: AttentionHeatmap[] = [];
  for (const layer of layers) {
    const perHead = attention[layer];
    if (!perHead)
      throw new Error(`heatmap: layer ${layer} does not exist (the model has ${attention.length} layers)`);
    const heads = options.heads ?? perHead.map((_, index) => index);
    for (const head of heads) {
      const matrix = perHead[head];
      if (!matrix)
        throw new Error(`heatmap: head ${head} does not exist in layer ${layer} (${perHead.length} heads)`);
      const keyLabels = options.keyTokens ?? tokens;
      out.push({
        layer,
        head,
        weights: matrix,
        queryLabels: tokens,
        keyLabels,
        svg: renderHeatmapSvg(matrix, {
          queryLabels: tokens,
          keyLabels,
          title: `layer ${layer}, head ${head}`,
          cellSize: options.svgCellSize,
        }),
        png: renderHeatmapPng(matrix, { cellSize: options.pngCellSize }),
      });
    }
  }
  return out;
}
