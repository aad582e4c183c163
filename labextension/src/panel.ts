/**
 * The nbops panel in the left sidebar: the pipeline, a build form with live
 * progress, the notebook in the editor's past runs, and the registered model.
 * Everything it shows comes from `/nbops/api/`; every action asks the server.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, InputDialog, MainAreaWidget, showDialog } from '@jupyterlab/apputils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import {
  api,
  BuildProgress,
  fileUrl,
  ModelView,
  PipelineView,
  Refusal,
  TaskRun,
  TaskView,
  VersionRow
} from './api';
import { drawDag, stateClass } from './dag';

type Child = Node | string | null | undefined | false;

/** A DOM element with attributes (`on*` functions become listeners) and children. */
function h(tag: string, attrs: Record<string, any> = {}, ...children: Child[]): HTMLElement {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'className') {
      node.className = value;
    } else {
      node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child);
    }
  }
  return node;
}

/** Replace `node`'s children (skipping empty ones). */
function fill(node: HTMLElement, ...children: Child[]): void {
  node.replaceChildren(...(children.filter(c => c !== null && c !== undefined && c !== false) as (Node | string)[]));
}

function seconds(value: number | null | undefined): string {
  if (value === null || value === undefined) {
    return '–';
  }
  return value < 60 ? `${value.toFixed(1)} s` : `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
}

function when(iso: string): string {
  const date = new Date(iso);
  return isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function short(value: unknown): string {
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  }
  return String(value);
}

/** Papermill's error banners are not cells the failure's index counts. */
function notebookIndex(panel: NotebookPanel, cellIndex: number): number {
  let counted = -1;
  const cells = panel.content.widgets;
  for (let i = 0; i < cells.length; i++) {
    const tags = (cells[i].model.getMetadata('tags') as string[] | undefined) || [];
    if (!tags.includes('papermill-error-cell-tag')) {
      counted += 1;
    }
    if (counted === cellIndex) {
      return i;
    }
  }
  return Math.max(0, cells.length - 1);
}

export class NbopsPanel extends Widget {
  private pipeline: PipelineView | null = null;
  private model: ModelView | null = null;
  private task: TaskView | null = null;
  private runs: TaskRun[] = [];
  private chosen: string[] = [];
  private build: BuildProgress | null = null;
  private buildPressedAt: number | null = null;
  private timer: number | null = null;
  private readonly overview = h('section', { className: 'nbops-pipeline' });
  private readonly form = h('section', { className: 'nbops-build' });
  private readonly progress = h('div', { className: 'nbops-progress' });
  private readonly history = h('section', { className: 'nbops-history' });
  private readonly registry = h('section', { className: 'nbops-model' });
  private readonly problem = h('div', { className: 'nbops-problem', role: 'alert' });

  constructor(private readonly app: JupyterFrontEnd) {
    super();
    this.id = 'nbops-panel';
    this.addClass('nbops-panel');
    this.title.caption = 'nbops: pipeline, runs, model';
    this.node.append(
      h('header', {}, h('h2', {}, 'nbops'), h('button', {
        className: 'nbops-refresh', title: 'Refresh', onclick: () => void this.refresh()
      }, '⟳')),
      this.problem,
      this.overview,
      this.form,
      this.history,
      this.registry
    );
    this.drawForm();
  }

  /** Reload everything the panel shows, then keep the pipeline fresh while visible. */
  async refresh(): Promise<void> {
    await Promise.all([this.loadPipeline(), this.loadModel()]);
    await this.loadHistory();
    this.schedule();
  }

  protected onAfterShow(): void {
    void this.refresh();
  }

  protected onBeforeHide(): void {
    this.stop();
  }

  dispose(): void {
    this.stop();
    super.dispose();
  }

  private stop(): void {
    if (this.timer !== null) {
      window.clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private schedule(): void {
    this.stop();
    if (this.isDisposed || !this.isVisible) {
      return;
    }
    const busy = this.build?.running || this.pipeline?.running_elsewhere;
    this.timer = window.setTimeout(async () => {
      await (busy ? this.pollBuild() : this.loadPipeline());
      this.schedule();
    }, busy ? 700 : 4000);
  }

  private say(problem: string | null): void {
    this.problem.textContent = problem || '';
    this.problem.hidden = !problem;
  }

  private async guarded<T>(work: () => Promise<T>): Promise<T | undefined> {
    try {
      const result = await work();
      return result;
    } catch (error) {
      this.say(error instanceof Error ? error.message : String(error));
      return undefined;
    }
  }

  // ---- the pipeline ------------------------------------------------------

  private async loadPipeline(): Promise<void> {
    const view = await this.guarded(() => api<PipelineView>('pipeline'));
    if (!view) {
      return;
    }
    this.say(null);
    this.pipeline = view;
    if (view.build && (view.build.running || !this.build || this.build.id === view.build.id)) {
      this.showBuild(view.build);
    }
    this.drawPipeline();
    this.followEditor();
  }

  private drawPipeline(): void {
    const view = this.pipeline!;
    const rows = view.tasks.map(task =>
      h('tr', { 'data-task': task.name, 'data-state': task.state, className: stateClass(task.state) },
        h('td', {}, h('a', { href: '#', onclick: (e: Event) => { e.preventDefault(); void this.openTask(task); } }, task.name)),
        h('td', { className: 'nbops-state' }, task.state,
          task.reasons.length && task.state !== 'up to date'
            ? h('span', { className: 'nbops-reasons' }, ` (${task.reasons.join(', ')})`) : null),
        h('td', { title: task.last_run ? `run ${task.last_run.run_id}` : '' },
          task.last_run ? `${task.last_run.status} · ${seconds(task.last_run.duration_s)}` : 'never ran')
      ));
    const elsewhere = view.running_elsewhere
      ? h('p', { className: 'nbops-note' }, `A build is running (run ${view.running_elsewhere.run_id}).`)
      : null;
    fill(this.overview, 
      h('h3', {}, `Pipeline · ${view.project}`),
      drawDag(view.tasks, task => void this.openTask(task)),
      h('table', { className: 'nbops-tasks' },
        h('thead', {}, h('tr', {}, h('th', {}, 'task'), h('th', {}, 'state'), h('th', {}, 'last run'))),
        h('tbody', {}, ...rows)),
      elsewhere,
      h('p', { className: 'nbops-note' }, `${view.runs} runs recorded` +
        (view.latest_run ? `; latest ${view.latest_run.status}` : ''))
    );
    const select = this.form.querySelector('select[name="target"]') as HTMLSelectElement | null;
    if (select && select.options.length !== view.tasks.length + 1) {
      const current = select.value;
      fill(select, h('option', { value: '' }, 'the whole pipeline'),
        ...view.tasks.map(t => h('option', { value: t.name }, `${t.name} (and what it needs)`)));
      select.value = current;
    }
  }

  private async openTask(task: TaskView): Promise<void> {
    if (!task.path) {
      this.say(`${task.name} has no source file to open`);
      return;
    }
    await this.app.commands.execute('docmanager:open', { path: task.path, factory: 'Notebook' });
  }

  // ---- building ----------------------------------------------------------

  private drawForm(): void {
    const overrides = h('div', { className: 'nbops-overrides' });
    const addRow = () => overrides.append(h('div', { className: 'nbops-override' },
      h('input', { name: 'key', placeholder: 'env key, e.g. model.max_depth', 'aria-label': 'env key' }),
      h('input', { name: 'value', placeholder: 'value', 'aria-label': 'value' }),
      h('button', { title: 'Remove', onclick: (e: Event) => (e.target as HTMLElement).parentElement!.remove() }, '×')));
    fill(this.form, 
      h('h3', {}, 'Build'),
      h('label', {}, 'What ', h('select', { name: 'target' }, h('option', { value: '' }, 'the whole pipeline'))),
      h('label', { className: 'nbops-force' }, h('input', { type: 'checkbox', name: 'force' }), ' force (run up-to-date tasks too)'),
      overrides,
      h('div', { className: 'nbops-buttons' },
        h('button', { className: 'nbops-add-override', onclick: addRow }, '+ --env-- override'),
        h('button', { className: 'nbops-build-button jp-mod-accept', onclick: () => void this.startBuild() }, 'Build')),
      this.progress
    );
  }

  private async startBuild(): Promise<void> {
    const target = (this.form.querySelector('select[name="target"]') as HTMLSelectElement).value || null;
    const force = (this.form.querySelector('input[name="force"]') as HTMLInputElement).checked;
    const env: Record<string, string> = {};
    for (const row of Array.from(this.form.querySelectorAll('.nbops-override'))) {
      const key = (row.querySelector('input[name="key"]') as HTMLInputElement).value.trim();
      const value = (row.querySelector('input[name="value"]') as HTMLInputElement).value;
      if (key) {
        env[key] = value;
      }
    }
    this.buildPressedAt = performance.now();
    delete this.node.dataset.firstProgressMs;
    fill(this.progress, h('p', { className: 'nbops-note' }, 'starting…'));
    const started = await this.guarded(() => api<BuildProgress>('builds', 'POST', { task: target, env, force }));
    if (!started) {
      fill(this.progress, );
      return;
    }
    this.say(null);
    this.showBuild(started);
    this.schedule();
  }

  private async pollBuild(): Promise<void> {
    if (this.build) {
      const progress = await this.guarded(() => api<BuildProgress>(`builds/${this.build!.id}`));
      if (progress) {
        this.showBuild(progress);
        if (!progress.running) {
          await Promise.all([this.loadPipeline(), this.loadModel()]);
          await this.loadHistory();
        }
        return;
      }
    }
    await this.loadPipeline();
  }

  private showBuild(progress: BuildProgress): void {
    this.build = progress;
    const anyMoved = Object.values(progress.tasks).some(word => word !== 'waiting');
    if (this.buildPressedAt !== null && (anyMoved || !progress.running) && !this.node.dataset.firstProgressMs) {
      this.node.dataset.firstProgressMs = String(Math.round(performance.now() - this.buildPressedAt));
    }
    const items = Object.entries(progress.tasks).map(([task, word]) =>
      h('li', { 'data-task': task, 'data-progress': word, className: 'nbops-progress-' + word.replace(/\s+/g, '-') },
        h('span', { className: 'nbops-progress-task' }, task), ` ${word}`));
    const what = progress.target ? `${progress.target} (--partially)` : 'the pipeline';
    const overrides = Object.entries(progress.overrides).map(([k, v]) => `${k}=${v}`).join(', ');
    fill(this.progress, 
      h('p', { className: 'nbops-note' }, `${progress.running ? 'Building' : 'Built'} ${what}` +
        (overrides ? ` with ${overrides}` : '') + ` · ${seconds(progress.elapsed_s)}`),
      items.length ? h('ul', { className: 'nbops-progress-list' }, ...items)
        : h('p', { className: 'nbops-note' }, 'every task is up to date: nothing to execute'),
      progress.verdict ? this.verdictNode(progress) : null
    );
  }

  private verdictNode(progress: BuildProgress): HTMLElement {
    const verdict = progress.verdict!;
    const children: Child[] = [h('strong', {}, verdict.outcome)];
    if (verdict.run_id) {
      children.push(` · run ${verdict.run_id}`);
    }
    if (verdict.run_page) {
      children.push(' · ', h('a', { href: fileUrl(verdict.run_page), target: '_blank', rel: 'noopener', className: 'nbops-run-page' }, 'run page'));
    }
    if (verdict.failed_gates?.length) {
      children.push(h('ul', { className: 'nbops-failed-gates' }, ...verdict.failed_gates.map(gate =>
        h('li', {}, `${gate.name}: ${short(gate.value)} (threshold ${short(gate.threshold)})`))));
    }
    if (verdict.failure) {
      const failure = verdict.failure;
      children.push(h('p', {}, `${failure.task} failed` +
        (failure.ename ? `: ${failure.ename}: ${failure.evalue ?? ''}` : '')));
      if (failure.notebook) {
        children.push(h('button', {
          className: 'nbops-failed-cell',
          onclick: () => void this.openPast(failure.notebook!, failure.cell_index)
        }, 'open the failed cell'));
      }
    } else if (verdict.message) {
      children.push(h('pre', { className: 'nbops-message' }, verdict.message));
    }
    return h('div', { className: 'nbops-verdict nbops-verdict-' + verdict.outcome, 'data-outcome': verdict.outcome }, ...children);
  }

  // ---- the notebook in the editor ------------------------------------------

  /** Show the runs of the task whose step is the current notebook. */
  followEditor(): void {
    const widget = this.app.shell.currentWidget;
    const path = widget instanceof NotebookPanel ? widget.context.path : null;
    const task = this.pipeline?.tasks.find(t => t.path && t.path === path) || null;
    if (task && task.name !== this.task?.name) {
      this.task = task;
      this.chosen = [];
      void this.loadHistory();
    } else if (!task && !this.task) {
      fill(this.history, h('h3', {}, 'This notebook'),
        h('p', { className: 'nbops-note' }, 'Open a pipeline step to see its past runs.'));
    }
  }

  private async loadHistory(): Promise<void> {
    if (!this.task) {
      this.followEditor();
      return;
    }
    const task = this.task;
    const answer = await this.guarded(() => api<{ runs: TaskRun[] }>(`tasks/${encodeURIComponent(task.name)}/runs?limit=30`));
    if (!answer) {
      return;
    }
    this.runs = answer.runs;
    this.drawHistory();
  }

  private drawHistory(): void {
    const task = this.task!;
    // the parameters that differ between the listed runs: what tells them apart
    const varying = new Set<string>();
    for (const run of this.runs) {
      for (const [key, value] of Object.entries(run.params)) {
        if (this.runs.some(other => JSON.stringify(other.params[key]) !== JSON.stringify(value))) {
          varying.add(key);
        }
      }
    }
    const rows = this.runs.map(run => {
      const params = [...varying].sort().map(k => `${k}=${short(run.params[k])}`).join(', ');
      const metrics = Object.entries(run.metrics).slice(0, 4).map(([k, v]) => `${k} ${short(v)}`).join(', ');
      return h('tr', { 'data-run': run.run_id, className: 'nbops-run-' + run.status },
        h('td', {}, h('input', {
          type: 'checkbox', 'aria-label': `choose run ${run.run_id} for a diff`,
          checked: this.chosen.includes(run.run_id),
          onchange: (e: Event) => this.choose(run.run_id, (e.target as HTMLInputElement).checked)
        })),
        h('td', { title: run.run_id }, when(run.started_at), h('br', {}),
          h('span', { className: 'nbops-note' }, `${run.status} · ${seconds(run.duration_s)}`)),
        h('td', { className: 'nbops-params', title: params }, params || 'same parameters',
          metrics ? h('div', { className: 'nbops-metrics' }, metrics) : null),
        h('td', {},
          h('button', { className: 'nbops-open-run', title: 'Open the executed notebook, read-only', onclick: () => void this.openRun(run.run_id) }, 'open'),
          h('button', { className: 'nbops-open-params', title: 'Open this step with the parameters of this run', onclick: () => void this.openWithParams(run.run_id) }, 'with these params'))
      );
    });
    fill(this.history, 
      h('h3', {}, `This notebook · ${task.name}`),
      this.runs.length
        ? h('table', { className: 'nbops-runs' }, h('tbody', {}, ...rows))
        : h('p', { className: 'nbops-note' }, 'It has not run yet.'),
      h('button', {
        className: 'nbops-diff', disabled: this.chosen.length !== 2,
        onclick: () => void this.openDiff()
      }, 'diff the two chosen runs')
    );
  }

  private choose(runId: string, on: boolean): void {
    this.chosen = this.chosen.filter(r => r !== runId);
    if (on) {
      this.chosen.push(runId);
    }
    this.chosen = this.chosen.slice(-2);
    this.drawHistory();
  }

  private async openRun(runId: string): Promise<void> {
    const task = this.task!;
    const answer = await this.guarded(() => api<{ path: string }>(`runs/${runId}/tasks/${encodeURIComponent(task.name)}/notebook`));
    if (answer) {
      await this.openPast(answer.path, null);
    }
  }

  /** A past run's executed notebook, read-only; optionally with one cell selected. */
  private async openPast(path: string, cellIndex: number | null): Promise<void> {
    const widget = await this.app.commands.execute('docmanager:open', { path, factory: 'Notebook' });
    if (!(widget instanceof NotebookPanel)) {
      return;
    }
    await widget.context.ready;
    widget.addClass('nbops-past-run');
    // never the label: JupyterLab renames the file when a document's label changes
    widget.title.caption = `${path} (a past run's executed notebook, read-only)`;
    widget.context.model.readOnly = true;
    for (const cell of widget.content.widgets) {
      cell.readOnly = true;
    }
    if (cellIndex !== null) {
      const index = notebookIndex(widget, cellIndex);
      widget.content.activeCellIndex = index;
      void widget.content.scrollToItem(index);
    }
  }

  private async openWithParams(runId: string): Promise<void> {
    const task = this.task!;
    const answer = await this.guarded(() => api<{ source: string }>(`runs/${runId}/tasks/${encodeURIComponent(task.name)}/parameters`));
    if (!answer || !task.path) {
      return;
    }
    const widget = await this.app.commands.execute('docmanager:open', { path: task.path, factory: 'Notebook' });
    if (!(widget instanceof NotebookPanel)) {
      return;
    }
    await widget.context.ready;
    const injected = widget.content.widgets.find(cell =>
      ((cell.model.getMetadata('tags') as string[] | undefined) || []).includes('injected-parameters'));
    const source = `# Parameters of run ${runId} (nbops)\n` + answer.source;
    if (injected) {
      injected.model.sharedModel.setSource(source);
    } else {
      widget.content.model!.sharedModel.insertCell(0, {
        cell_type: 'code', source, metadata: { tags: ['injected-parameters'] }
      });
    }
    widget.node.dataset.nbopsParamsOf = runId;
    this.say(null);
  }

  private async openDiff(): Promise<void> {
    const task = this.task!;
    const [a, b] = [...this.chosen].sort();
    const answer = await this.guarded(() => api<{ html: string }>(`tasks/${encodeURIComponent(task.name)}/diff?a=${a}&b=${b}`));
    if (!answer) {
      return;
    }
    const frame = h('iframe', { sandbox: '', className: 'nbops-diff-frame', title: `diff of ${task.name}` }) as HTMLIFrameElement;
    frame.srcdoc = answer.html;
    const content = new Widget({ node: h('div', { className: 'nbops-diff-view' }, frame) });
    const main = new MainAreaWidget({ content });
    main.id = `nbops-diff-${task.name}-${a}-${b}`;
    main.title.label = `diff ${task.name}`;
    main.title.closable = true;
    this.app.shell.add(main, 'main');
    this.app.shell.activateById(main.id);
  }

  // ---- the registered model ------------------------------------------------

  private async loadModel(): Promise<void> {
    const view = await this.guarded(() => api<ModelView>('model'));
    if (view) {
      this.model = view;
      this.drawModel();
    }
  }

  private drawModel(message?: { text: string; refused: boolean }): void {
    const view = this.model!;
    const card = (label: string, row: VersionRow | null) => h('div', { className: `nbops-alias nbops-alias-${label}` },
      h('strong', {}, `@${label}`), ' ',
      row ? `version ${row.version}` : 'none',
      row ? h('div', { className: 'nbops-metrics' }, Object.entries(row.metrics).filter(([k]) => !k.includes('slice'))
        .slice(0, 4).map(([k, v]) => `${k} ${short(v)}`).join(', ')) : null);
    const versions = view.versions.map(row => h('tr', { 'data-version': row.version },
      h('td', {}, `v${row.version}`),
      h('td', {}, row.aliases.map(a => '@' + a).join(' ') || '–'),
      h('td', {}, short(row.metrics.roc_auc ?? '–')),
      h('td', {}, row.aliases.includes('champion') ? null : h('button', {
        className: 'nbops-promote', onclick: () => void this.promote(row.version)
      }, 'promote'))));
    fill(this.registry, 
      h('h3', {}, `Model · ${view.model}`),
      view.registered ? h('div', {}, card('champion', view.champion), card('challenger', view.challenger))
        : h('p', { className: 'nbops-note' }, 'No version registered yet: a build whose gates pass registers one.'),
      versions.length ? h('table', { className: 'nbops-versions' },
        h('thead', {}, h('tr', {}, h('th', {}, 'ver'), h('th', {}, 'aliases'), h('th', {}, 'roc_auc'), h('th', {}, ''))),
        h('tbody', {}, ...versions)) : null,
      view.champion ? h('button', { className: 'nbops-rollback', onclick: () => void this.rollback() }, 'roll back @champion') : null,
      message ? h('p', { className: message.refused ? 'nbops-refusal' : 'nbops-done', role: 'status' }, message.text) : null
    );
  }

  private async promote(version: number): Promise<void> {
    const model = this.model!.model;
    const reason = await InputDialog.getText({
      title: `Promote ${model} version ${version} to @champion?`,
      label: 'Why (recorded in the alias history):',
      placeholder: 'reason',
      okLabel: 'Promote'
    });
    if (!reason.button.accept) {
      return;
    }
    await this.moveAlias('model/promote', { model, version, alias: 'champion', reason: reason.value || '' },
      (r: any) => `${model}@champion → version ${r.version} (was ${r.previous ?? 'nothing'})`);
  }

  private async rollback(): Promise<void> {
    const model = this.model!.model;
    const answer = await showDialog({
      title: `Roll ${model}@champion back?`,
      body: 'The alias moves back to the version it pointed to before its last promotion.',
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Roll back' })]
    });
    if (!answer.button.accept) {
      return;
    }
    await this.moveAlias('model/rollback', { model, alias: 'champion', reason: 'rolled back from the nbops panel' },
      (r: any) => `${model}@champion rolled back: version ${r.from} → version ${r.to}`);
  }

  private async moveAlias(path: string, body: unknown, done: (r: any) => string): Promise<void> {
    try {
      const result = await api<any>(path, 'POST', body);
      await this.loadModel();
      this.drawModel({ text: done(result) + (result.notes?.length ? ` (${result.notes.join('; ')})` : ''), refused: false });
    } catch (error) {
      const text = error instanceof Refusal || error instanceof Error ? error.message : String(error);
      this.drawModel({ text: `Refused: ${text}`, refused: true });
    }
  }
}
