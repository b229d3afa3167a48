// A time-series chart on uPlot: one line per series, a legend whose entries hide their line when
// clicked, and drag-to-zoom reported to the caller, so every chart of the pane zooms together.
import uPlot from 'uplot';
import { useEffect, useRef } from 'preact/hooks';
import { html } from './widgets.js';

const PALETTE = ['#2f6fdf', '#e0662b', '#2c9c5a', '#a34fd1', '#c9a227', '#d1437a', '#1f9bb0', '#7a7f8a'];

/** Series on one time axis, as uPlot wants them: [times, values of each series at those times]. */
function aligned(series) {
  const times = [...new Set(series.flatMap(s => s.points.map(p => p.time)))].sort((a, b) => a - b);
  const position = new Map(times.map((t, i) => [t, i]));
  return [times, ...series.map(s => {
    const values = new Array(times.length).fill(null);
    for (const p of s.points) values[position.get(p.time)] = p.value;
    return values;
  })];
}

const css = name => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/**
 * @param series [{label, points: [{time (epoch seconds), value}], emphasis}]
 * @param format a value as the axis and legend show it
 * @param range {min, max} of the x axis in epoch seconds: the period, or the zoom
 * @param onZoom called with {min, max} when the user drags across the chart
 */
export function Chart({ title, series, format, range, onZoom, testId }) {
  const box = useRef(null);
  const plot = useRef(null);
  const zoom = useRef(onZoom);
  zoom.current = onZoom;
  const labels = series.map(s => s.label).join('\u0000');

  useEffect(() => {
    const text = css('--text'), line = css('--line');
    const options = {
      width: Math.max(300, box.current.clientWidth),
      height: 200,
      scales: { x: { time: true, range: () => [range.min, range.max] } },
      series: [{ value: (u, v) => (v == null ? '' : new Date(v * 1000).toLocaleString()) },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.emphasis ? text : PALETTE[i % PALETTE.length],
          width: s.emphasis ? 2.5 : 1.5,
          dash: s.emphasis ? [6, 4] : undefined,
          spanGaps: false,
          value: (u, v) => (v == null ? '—' : format(v)),
        }))],
      axes: [
        { stroke: text, grid: { stroke: line, width: 1 }, ticks: { stroke: line } },
        { stroke: text, grid: { stroke: line, width: 1 }, ticks: { stroke: line }, size: 86,
          values: (u, ticks) => ticks.map(format) },
      ],
      cursor: { drag: { x: true, y: false, setScale: false } },
      hooks: {
        setSelect: [u => {
          if (u.select.width < 2) return;
          const min = u.posToVal(u.select.left, 'x'), max = u.posToVal(u.select.left + u.select.width, 'x');
          u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
          zoom.current({ min, max });
        }],
      },
    };
    plot.current = new uPlot(options, aligned(series), box.current);
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(300, box.current.clientWidth), height: 200 }));
    observer.observe(box.current);
    return () => {
      observer.disconnect();
      plot.current.destroy();
      plot.current = null;
    };
  }, [labels]);

  // New data or a new zoom redraws in place: the chart keeps its size and its hidden lines.
  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    u.scales.x.range = () => [range.min, range.max];
    u.setData(aligned(series), true);
  }, [series, range.min, range.max]);

  const points = series.reduce((n, s) => n + s.points.length, 0);
  return html`<div class="chart-plot" ref=${box} data-test=${testId} data-points=${points} aria-label=${title}></div>`;
}
