import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  readonly label: string;
  /** One value per x; null where the series has no point. */
  readonly values: readonly (number | null)[];
}

const palette = ['#1f5fbf', '#b3261e', '#1b7f3b', '#7a3fb0', '#9a6100'];

/**
 * A uPlot time series over steps. The number of x points is exposed as `data-points`, so a person (and a
 * browser test) can tell a curve that moves from one that does not.
 */
export function LineChart(props: {
  readonly title: string;
  readonly x: readonly number[];
  readonly series: readonly ChartSeries[];
  readonly width?: number;
  readonly height?: number;
}) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = props.series.map((s) => s.label).join('\u0000');

  useEffect(() => {
    if (!holder.current) return;
    const chart = new uPlot(
      {
        title: props.title,
        width: props.width ?? 640,
        height: props.height ?? 240,
        scales: { x: { time: false } },
        axes: [{ label: 'step' }, {}],
        series: [
          { label: 'step' },
          ...props.series.map((s, i) => ({
            label: s.label,
            stroke: palette[i % palette.length],
            width: 2,
            spanGaps: true,
          })),
        ],
      },
      [[], ...props.series.map(() => [])] as unknown as uPlot.AlignedData,
      holder.current,
    );
    plot.current = chart;
    return () => {
      chart.destroy();
      plot.current = null;
    };
    // The chart is rebuilt only when its series change, not on every new point.
  }, [shape, props.title]);

  useEffect(() => {
    plot.current?.setData([props.x, ...props.series.map((s) => s.values)] as unknown as uPlot.AlignedData);
  }, [props.x, props.series]);

  return (
    <figure className="chart" data-points={props.x.length} aria-label={props.title}>
      <div ref={holder} />
    </figure>
  );
}
