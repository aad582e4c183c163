/**
 * The pipeline drawn as an SVG: one row per depth (longest path from a root),
 * a box per task coloured by its state, a line per upstream edge.
 */
import { TaskView } from './api';

const SVG = 'http://www.w3.org/2000/svg';
const BOX_W = 92;
const BOX_H = 26;
const GAP_X = 12;
const GAP_Y = 22;

function depths(tasks: TaskView[]): Map<string, number> {
  const depth = new Map<string, number>();
  // tasks arrive in topological order: each upstream is already placed
  for (const task of tasks) {
    const ups = task.upstream.map(name => (depth.get(name) ?? -1) + 1);
    depth.set(task.name, ups.length ? Math.max(...ups) : 0);
  }
  return depth;
}

function element<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    node.setAttribute(key, String(value));
  }
  return node;
}

export function stateClass(state: string): string {
  return 'nbops-state-' + state.replace(/\s+/g, '-');
}

/** The DAG of `tasks`; `onOpen(task)` is called when a box is clicked. */
export function drawDag(tasks: TaskView[], onOpen: (task: TaskView) => void): SVGSVGElement {
  const depth = depths(tasks);
  const rows: TaskView[][] = [];
  for (const task of tasks) {
    const d = depth.get(task.name) ?? 0;
    (rows[d] = rows[d] || []).push(task);
  }
  const widest = Math.max(1, ...rows.map(row => row.length));
  const width = widest * (BOX_W + GAP_X) + GAP_X;
  const height = rows.length * (BOX_H + GAP_Y) + GAP_Y;
  const svg = element('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    class: 'nbops-dag',
    role: 'img'
  });
  const centre = new Map<string, [number, number]>();
  rows.forEach((row, r) => {
    const offset = (width - row.length * (BOX_W + GAP_X) + GAP_X) / 2;
    row.forEach((task, i) => {
      centre.set(task.name, [
        offset + i * (BOX_W + GAP_X) + BOX_W / 2,
        GAP_Y + r * (BOX_H + GAP_Y) + BOX_H / 2
      ]);
    });
  });
  for (const task of tasks) {
    const [x2, y2] = centre.get(task.name)!;
    for (const up of task.upstream) {
      const from = centre.get(up);
      if (!from) {
        continue;
      }
      svg.appendChild(
        element('line', {
          x1: from[0],
          y1: from[1] + BOX_H / 2,
          x2,
          y2: y2 - BOX_H / 2,
          class: 'nbops-dag-edge'
        })
      );
    }
  }
  for (const task of tasks) {
    const [x, y] = centre.get(task.name)!;
    const group = element('g', {
      class: 'nbops-dag-node ' + stateClass(task.state),
      'data-task': task.name,
      'data-state': task.state,
      tabindex: 0
    });
    const title = element('title', {});
    title.textContent =
      `${task.name}: ${task.state}` +
      (task.reasons.length ? ` (${task.reasons.join(', ')} changed)` : '') +
      (task.path ? ' — click to open' : '');
    group.appendChild(title);
    group.appendChild(
      element('rect', { x: x - BOX_W / 2, y: y - BOX_H / 2, width: BOX_W, height: BOX_H, rx: 5 })
    );
    const label = element('text', { x, y: y + 4, 'text-anchor': 'middle' });
    label.textContent = task.name.length > 13 ? task.name.slice(0, 12) + '…' : task.name;
    group.appendChild(label);
    group.addEventListener('click', () => onOpen(task));
    group.addEventListener('keydown', event => {
      if ((event as KeyboardEvent).key === 'Enter') {
        onOpen(task);
      }
    });
    svg.appendChild(group);
  }
  return svg;
}
