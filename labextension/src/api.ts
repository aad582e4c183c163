/**
 * The server extension's JSON API (`/nbops/api/`), through JupyterLab's own
 * connection settings: the server's token and XSRF header ride along.
 */
import { ServerConnection } from '@jupyterlab/services';

/** An answer of the server other than 2xx: its one sentence (and fix). */
export class Refusal extends Error {}

export interface LastRun {
  run_id: string;
  started_at: string;
  status: string;
  duration_s: number | null;
  run_status: string;
}

export interface TaskView {
  name: string;
  state: 'up to date' | 'out of date' | 'running' | 'failed';
  reasons: string[];
  upstream: string[];
  source: string;
  path: string | null;
  kind: string;
  last_run: LastRun | null;
}

export interface Verdict {
  outcome: string;
  run_id?: string;
  duration_s?: number | null;
  run_page?: string;
  message?: string;
  failed_gates?: { name: string; value: unknown; threshold: unknown; detail: unknown }[];
  failure?: {
    task: string;
    cell_index: number | null;
    ename: string | null;
    evalue: string | null;
    notebook: string | null;
  };
}

export interface BuildProgress {
  id: string;
  target: string | null;
  overrides: Record<string, string>;
  planned: string[];
  running: boolean;
  elapsed_s: number;
  run_id: string | null;
  tasks: Record<string, string>;
  verdict?: Verdict;
}

export interface PipelineView {
  project: string;
  tasks: TaskView[];
  runs: number;
  latest_run: { run_id: string; status: string; started_at: string } | null;
  build: BuildProgress | null;
  running_elsewhere: { run_id: string; pid: number } | null;
}

export interface TaskRun {
  run_id: string;
  started_at: string;
  run_status: string;
  status: string;
  duration_s: number | null;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
}

export interface VersionRow {
  version: number;
  aliases: string[];
  run_id: string | null;
  registered_at: string;
  metrics: Record<string, number>;
}

export interface ModelView {
  model: string;
  registered: boolean;
  champion: VersionRow | null;
  challenger: VersionRow | null;
  versions: VersionRow[];
}

/** `method path` on the nbops API; the parsed JSON, or a Refusal with the server's words. */
export async function api<T>(path: string, method = 'GET', body?: unknown): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = settings.baseUrl.replace(/\/?$/, '/') + 'nbops/api/' + path;
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  const response = await ServerConnection.makeRequest(url, init, settings);
  const text = await response.text();
  let data: any = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { message: text };
  }
  if (!response.ok) {
    throw new Refusal(data.message || data.error || `HTTP ${response.status}`);
  }
  return data as T;
}

/** The URL of a file under JupyterLab's root, served by jupyter_server (with auth). */
export function fileUrl(path: string): string {
  const settings = ServerConnection.makeSettings();
  const parts = path.split('/').map(encodeURIComponent).join('/');
  return settings.baseUrl.replace(/\/?$/, '/') + 'files/' + parts;
}
