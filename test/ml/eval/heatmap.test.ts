import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import {
  attentionHeatmaps,
  colourFor,
  renderHeatmapPng,
  renderHeatmapSvg,
} from '../../../src/ml/eval/index.js';

describe('attention heatmaps', () => {
  it('maps weights linearly from white to navy', () => {
    expect(colourFor(0)).toEqual([255, 255, 255]);
    expect(colourFor(1)).toEqual([8, 48, 107]);
    // 0.5: 255 + (8 - 255) * 0.5 = 131.5 -> 132; 255 + (48 - 255) / 2 = 151.5 -> 152; 255 + (107 - 255) / 2 = 181
    expect(colourFor(0.5)).toEqual([132, 152, 181]);
    // 0.25: 255 - 247 / 4 = 193.25 -> 193; 255 - 207 / 4 = 203.25 -> 203; 255 - 148 / 4 = 218
    expect(colourFor(0.25)).toEqual([193, 203, 218]);
    expect(colourFor(7)).toEqual([8, 48, 107]); // clamped
    expect(colourFor(Number.NaN)).toEqual([255, 255, 255]);
  });

  it('PNG: every pixel of a cell has the colour of its weight', () => {
    const weights = [
      [1, 0, 0],
      [0.5, 0.5, 0],
      [0.25, 0.25, 0.5],
    ];
    const png = PNG.sync.read(renderHeatmapPng(weights, { cellSize: 4 }));
    expect([png.width, png.height]).toEqual([12, 12]);
    const pixel = (x: number, y: number) => {
      const offset = (y * png.width + x) * 4;
      return [...png.data.subarray(offset, offset + 4)];
    };
    // cell (row 0, col 0) = 1.0 -> navy; check a corner and the centre
    expect(pixel(0, 0)).toEqual([8, 48, 107, 255]);
    expect(pixel(3, 3)).toEqual([8, 48, 107, 255]);
    // cell (row 1, col 0) = 0.5 covers x 0..3, y 4..7
    expect(pixel(1, 5)).toEqual([132, 152, 181, 255]);
    // cell (row 0, col 1) = 0 covers x 4..7, y 0..3 -> white (rows and columns not swapped)
    expect(pixel(5, 1)).toEqual([255, 255, 255, 255]);
    // cell (row 2, col 0) = 0.25 covers x 0..3, y 8..11
    expect(pixel(2, 10)).toEqual([193, 203, 218, 255]);
    // cell (row 2, col 2) = 0.5, last pixel of the image
    expect(pixel(11, 11)).toEqual([132, 152, 181, 255]);
  });

  it('SVG: labels on both axes, escaped, one rect per cell with its colour', () => {
    const svg = renderHeatmapSvg(
      [
        [1, 0],
        [0.5, 0.5],
      ],
      { queryLabels: ['<s>', 'A&B'], keyLabels: ['"q"', '北京'], cellSize: 10 },
    );
    expect(svg).toContain('&lt;s&gt;');
    expect(svg).toContain('A&amp;B');
    expect(svg).toContain('&quot;q&quot;');
    expect(svg).toContain('北京');
    expect(svg).not.toContain('<s>');
    const fills = [...svg.matchAll(/<rect[^>]*fill="(#[0-9a-f]{6})"/g)].map((match) => match[1]);
    // row-major: 1 -> #08306b, 0 -> #ffffff, 0.5 -> (132,152,181) = #8498b5 twice
    expect(fills).toEqual(['#08306b', '#ffffff', '#8498b5', '#8498b5']);
  });

  it('renders chosen layers and heads of a [layers][heads][q][k] array and rejects bad shapes', () => {
    const head = [
      [1, 0],
      [0.5, 0.5],
    ];
    const attention = [[head, head], [head]];
    const maps = attentionHeatmaps(attention, ['a', 'b'], { layers: [0], heads: [1] });
    expect(maps.map((map) => [map.layer, map.head])).toEqual([[0, 1]]);
    expect(attentionHeatmaps(attention, ['a', 'b'])).toHaveLength(3);
    expect(() => attentionHeatmaps(attention, ['a', 'b'], { layers: [5] })).toThrow(/layer 5 does not exist/);
    expect(() => renderHeatmapPng([[1, 0], [1]])).toThrow(/row 1 has 1 columns/);
    expect(() => renderHeatmapSvg(head, { queryLabels: ['a'], keyLabels: ['a', 'b'] })).toThrow(
      /1 query labels/,
    );
  });
});
