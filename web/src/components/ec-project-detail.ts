// The project detail page ("More actions → Settings"): the project's credit usage in total, per
// task and per session, with each session's status, charge and breakdown; filters and sorting.
import { LitElement, html, css, nothing, type TemplateResult } from 'lit';
import type { Figures, LedgerSession, ProjectReport, SessionRow, SessionStatus, TaskRow } from '../credits';
import { FREE_CATEGORIES, FREE_LABELS, figuresDecimals, formatCredits, formatDateTime, formatTokens, groupDecimals, offsetLabel } from '../format';
import { amount, chargeEquation, chargePaidFrom, grantIndex, guard, type GrantIndex } from '../describe';
import { resolveRange, type RangeKind } from '../store';
import { base } from './styles';
import { SessionWatch } from '../session-watch';
import './ec-daily-chart';

type StatusFilter = 'all' | SessionStatus;
type SortKey = 'newest' | 'oldest' | 'charge' | 'tokens';

const STATUS_LABELS: Record<SessionStatus, string> = {
  completed: 'Completed',
  cancelled: 'Cancelled',
  in_progress: 'In progress',
};

export class EcProjectDetail extends LitElement {
  static properties = {
    session: { attribute: false },
    at: { type: String },
    projectId: { type: String, attribute: 'project-id' },
    rangeKind: { state: true },
    statusFilter: { state: true },
    search: { state: true },
    sort: { state: true },
    expanded: { state: true },
  };

  declare session: LedgerSession | null;
  declare at: string;
  declare projectId: string;
  declare rangeKind: RangeKind;
  declare statusFilter: StatusFilter;
  declare search: string;
  declare sort: SortKey;
  declare expanded: Set<string>;

  // Answers from the worker (a large ledger) re-render the element when they arrive.
  protected readonly answers = new SessionWatch(this, () => this.session);

  constructor() {
    super();
    this.session = null;
    this.at = '';
    this.projectId = '';
    this.rangeKind = 'all';
    this.statusFilter = 'all';
    this.search = '';
    this.sort = 'newest';
    this.expanded = new Set();
  }

  static styles = [base, css`
    :host { display: block; }
    .page { display: flex; flex-direction: column; gap: 20px; }
    .crumbs { font-size: 13px; color: var(--text-muted); display: flex; gap: 6px; flex-wrap: wrap; }
    .crumbs a { color: var(--text-muted); }
    .title { display: flex; gap: 12px; align-items: baseline; flex-wrap: wrap; }
    .title h1 { overflow-wrap: anywhere; min-width: 0; }
    .filters { display: flex; gap: 10px; flex-wrap: wrap; align-items: flex-end; }
    .filters .field { flex: 0 1 auto; }
    .filters input[type="search"] { width: 220px; }
    .task { border-top: 1px solid var(--border); }
    .task:first-child { border-top: 0; }
    .task-head { display: flex; gap: 10px 16px; align-items: center; flex-wrap: wrap; padding: 12px 16px; background: var(--bg); }
    .task-head h3 { font-family: var(--font-mono); font-size: 13px; }
    .task-reason { flex-basis: 100%; font-size: 12px; color: var(--text-muted); overflow-wrap: anywhere; }
    .task-figs { margin-left: auto; font-size: 12px; color: var(--text-muted); display: flex; gap: 12px; flex-wrap: wrap; }
    .task-figs strong { color: var(--text); font-weight: 600; }
    td.session-id { font-family: var(--font-mono); font-size: 12.5px; white-space: nowrap; }
    .charge-free { color: var(--text-muted); }
    .breakdown td { background: var(--bg); }
    .breakdown dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; font-size: 12.5px; }
    .breakdown dt { color: var(--text-muted); }
    .breakdown dd { margin: 0; overflow-wrap: anywhere; }
    .models { font-size: 12px; color: var(--text-muted); white-space: normal; overflow-wrap: anywhere; font-family: var(--font-sans); }
    td.expand-cell { width: 40px; padding-top: 4px; padding-bottom: 4px; }
    button.expand { min-height: 28px; width: 28px; }
    .chevron { width: 8px; height: 8px; border-right: 2px solid currentColor; border-bottom: 2px solid currentColor;
      transform: rotate(-45deg); transition: transform 0.15s; display: inline-block; color: var(--text-muted); }
    .chevron.open { transform: rotate(45deg); }
    @media (min-width: 641px) {
      table.sessions { table-layout: fixed; }
      .c-session { width: 24%; } .c-status { width: 118px; } .c-when { width: 24%; }
      .c-tokens { width: 11%; } .c-charge { width: 118px; } .c-x { width: 44px; }
    }
    @media (max-width: 640px) {
      .hide-narrow { display: none; }
      th, td { padding: 8px 8px; }
      .filters input[type="search"] { width: 100%; }
      .filters .field { flex: 1 1 140px; }
      .filters .field.status { flex-basis: 100%; }
      .filters .field.status .segmented { display: flex; }
      .filters .field.status .segmented button { flex: 1 1 auto; padding: 3px 6px; }
    }
  `];

  render() {
    return guard(() => this.renderPage());
  }

  private renderPage(): TemplateResult {
    const session = this.session;
    if (!session || !this.at) return html`<p class="empty">No account loaded.</p>`;
    const project = session.projects.find((p) => p.id === this.projectId);
    if (!project) {
      return html`<div class="page"><nav class="crumbs" aria-label="Breadcrumb"><a href="#/projects">Projects</a></nav>
        <div class="card"><p class="empty" role="alert">There is no project with the id “${this.projectId}” in this account.</p></div></div>`;
    }
    const range = resolveRange(session, this.at, { kind: this.rangeKind });
    const report = session.project(project.id, range.query);
    const index = grantIndex(session.account({ at: this.at }), new Map(session.engine.catalog.plans.map((p) => [p.id, p.name ?? p.id])));
    return html`
      <div class="page">
        <nav class="crumbs" aria-label="Breadcrumb"><a href="#/projects">Projects</a><span aria-hidden="true">/</span>
          <span>${project.name}</span><span aria-hidden="true">/</span><span aria-current="page">Settings</span></nav>
        <div class="title"><h1 data-testid="project-title">${project.name}</h1><span class="faint mono">${project.id}</span></div>
        <section class="card" aria-labelledby="usage-h">
          <div class="card-header">
            <h2 id="usage-h">Credit usage</h2>
            <div class="segmented" role="radiogroup" aria-label="Usage range">
              ${([['all', 'All time'], ['period', 'This period'], ['last30', 'Last 30 days']] as [RangeKind, string][]).map(([kind, label]) => html`
                <button role="radio" aria-checked=${String(this.rangeKind === kind)} @click=${() => { this.rangeKind = kind; }}>${label}</button>`)}
            </div>
          </div>
          <div class="card-body stack">
            <span class="faint small">${range.label}</span>
            ${this.renderFigures(report.usage)}
            ${this.renderNotices(report)}
            <ec-daily-chart .rows=${report.daily} caption=${`Usage of ${project.name} per day in ${offsetLabel(report.utc_offset)}`}></ec-daily-chart>
          </div>
        </section>
        <section class="card" aria-labelledby="tasks-h">
          <div class="card-header"><h2 id="tasks-h">Tasks and sessions</h2></div>
          <div class="card-body">${this.renderFilters()}</div>
          ${this.renderTasks(report, index)}
        </section>
        ${report.untasked.total_tokens > 0 ? html`
          <section class="card" aria-labelledby="untasked-h">
            <div class="card-header"><h2 id="untasked-h">Outside tasks</h2><span class="muted small">Builds, deploys, hosting and other services</span></div>
            <div class="card-body">${this.renderFigures(report.untasked, 'untasked')}</div>
          </section>` : nothing}
      </div>
    `;
  }

  private renderFigures(f: Figures, testId = 'project-usage'): TemplateResult {
    const decimals = figuresDecimals(f);
    return html`
      <div class="stat-grid" data-testid=${testId}>
        <div class="stat highlight" data-figure="charged"><div class="label">Charged</div>
          <div class="value">${amount(f.charged_tokens, f.charged_credits, false, decimals)}</div><div class="sub">${formatTokens(f.charged_tokens)} tokens</div></div>
        ${FREE_CATEGORIES.map((c) => html`<div class="stat" data-figure=${c}>
          <div class="label"><span class=${`swatch ${c}`}></span><span>Free: ${FREE_LABELS[c]}</span></div>
          <div class="value">${amount(f.free[`${c}_tokens`], f.free[`${c}_credits`], false, decimals)}</div>
          <div class="sub">${formatTokens(f.free[`${c}_tokens`])} tokens</div></div>`)}
        <div class="stat" data-figure="total"><div class="label">Total used</div>
          <div class="value">${amount(f.total_tokens, f.total_credits, false, decimals)}</div><div class="sub">${formatTokens(f.total_tokens)} tokens</div></div>
      </div>`;
  }

  private renderNotices(report: ProjectReport) {
    const sessions = report.tasks.flatMap((t) => t.sessions);
    const pending = sessions.filter((s) => s.status === 'in_progress').length;
    const cancelled = sessions.filter((s) => s.status === 'cancelled').length;
    return html`
      ${pending ? html`<div class="callout info" data-testid="pending-note"><span class="icon-dot"></span>
        <div><strong>${formatTokens(pending)} ${pending === 1 ? 'session is' : 'sessions are'} in progress.</strong>
        Their ${formatCredits(report.usage.free.pending_credits)} credits are pending: charged only when the session completes.</div></div>` : nothing}
      ${cancelled ? html`<div class="callout" data-testid="cancelled-note"><span class="icon-dot"></span>
        <div><strong>${formatTokens(cancelled)} cancelled ${cancelled === 1 ? 'session' : 'sessions'}</strong> cost nothing:
        the ${formatCredits(report.usage.free.cancelled_credits)} credits of a cancelled task's unfinished sessions are never charged.</div></div>` : nothing}
    `;
  }

  private renderFilters(): TemplateResult {
    const statuses: [StatusFilter, string][] = [['all', 'All'], ['completed', 'Completed'], ['cancelled', 'Cancelled'], ['in_progress', 'In progress']];
    return html`
      <div class="filters">
        <div class="field status"><span id="status-l" class="small muted">Status</span>
          <div class="segmented" role="radiogroup" aria-labelledby="status-l">
            ${statuses.map(([s, label]) => html`<button role="radio" aria-checked=${String(this.statusFilter === s)} data-status=${s}
              @click=${() => { this.statusFilter = s; }}>${label}</button>`)}
          </div></div>
        <div class="field"><label for="search" class="small muted">Search</label>
          <input id="search" type="search" placeholder="Task, session or model" .value=${this.search}
            @input=${(e: Event) => { this.search = (e.target as HTMLInputElement).value; }}></div>
        <div class="field"><label for="sort" class="small muted">Sort by</label>
          <select id="sort" data-testid="sort" @change=${(e: Event) => { this.sort = (e.target as HTMLSelectElement).value as SortKey; }}>
            <option value="newest" ?selected=${this.sort === 'newest'}>Newest first</option>
            <option value="oldest" ?selected=${this.sort === 'oldest'}>Oldest first</option>
            <option value="charge" ?selected=${this.sort === 'charge'}>Highest charge</option>
            <option value="tokens" ?selected=${this.sort === 'tokens'}>Most tokens</option>
          </select></div>
      </div>`;
  }

  private sessionMatches(task: TaskRow, s: SessionRow): boolean {
    if (this.statusFilter !== 'all' && s.status !== this.statusFilter) return false;
    const q = this.search.trim().toLowerCase();
    if (!q) return true;
    return [task.task_id, s.session_id, ...s.models].some((text) => text.toLowerCase().includes(q));
  }

  private compare(a: { last: string; first: string; charged: number; total: number }, b: typeof a): number {
    switch (this.sort) {
      case 'oldest': return Date.parse(a.first) - Date.parse(b.first);
      case 'charge': return b.charged - a.charged;
      case 'tokens': return b.total - a.total;
      default: return Date.parse(b.last) - Date.parse(a.last);
    }
  }

  private renderTasks(report: ProjectReport, index: GrantIndex): TemplateResult {
    const key = (s: SessionRow) => ({ first: s.first_usage_at, last: s.last_usage_at, charged: s.charged_tokens, total: s.total_tokens });
    const tasks = report.tasks.map((task) => {
      const sessions = task.sessions.filter((s) => this.sessionMatches(task, s)).sort((a, b) => this.compare(key(a), key(b)));
      const taskKey = {
        first: task.sessions.map((s) => s.first_usage_at).sort()[0] ?? report.from,
        last: task.sessions.map((s) => s.last_usage_at).sort().at(-1) ?? report.from,
        charged: task.charged_tokens, total: task.total_tokens,
      };
      return { task, sessions, taskKey };
    }).filter((t) => t.sessions.length > 0 || (this.statusFilter === 'all' && !this.search.trim() && t.task.sessions.length === 0))
      .sort((a, b) => this.compare(a.taskKey, b.taskKey));
    if (tasks.length === 0) return html`<p class="empty" role="status">No task or session matches these filters.</p>`;
    // The task heads are read down the page: their amounts share one number of decimals.
    const decimals = groupDecimals(report.tasks.flatMap((t) => [t.charged_credits, t.free_credits]));
    return html`<div data-testid="tasks">${tasks.map(({ task, sessions }) => html`
      <div class="task" data-task=${task.task_id}>
        <div class="task-head">
          <h3>Task ${task.task_id}</h3>
          ${task.status === 'cancelled'
            ? html`<span class="badge warning">Cancelled ${task.cancelled_at ? formatDateTime(task.cancelled_at, report.utc_offset) : ''}</span>`
            : html`<span class="badge">Active</span>`}
          <div class="task-figs">
            <span>Charged <strong>${amount(task.charged_tokens, task.charged_credits, false, decimals)}</strong></span>
            <span>Free <strong>${amount(task.free_tokens, task.free_credits, false, decimals)}</strong></span>
            <span>${formatTokens(task.total_tokens)} tokens</span>
          </div>
          ${task.cancel_reason ? html`<div class="task-reason" data-testid="cancel-reason">Reason: ${task.cancel_reason}</div>` : nothing}
        </div>
        ${sessions.length ? html`
        <div class="table-wrap">
          <table class="sessions">
            <thead><tr>
              <th scope="col" class="c-session">Session</th><th scope="col" class="c-status">Status</th><th scope="col" class="hide-narrow c-when">When</th>
              <th scope="col" class="num hide-narrow c-tokens">Output</th><th scope="col" class="num hide-narrow c-tokens">Cache-miss in</th>
              <th scope="col" class="num hide-narrow c-tokens">Cache-hit in</th><th scope="col" class="num c-charge">Charge</th><th scope="col" class="c-x"><span class="sr-only">Details</span></th>
            </tr></thead>
            <tbody>${sessions.map((s) => this.renderSession(task, s, report, index))}</tbody>
          </table>
        </div>` : nothing}
      </div>`)}</div>`;
  }

  private renderSession(task: TaskRow, s: SessionRow, report: ProjectReport, index: GrantIndex): TemplateResult {
    const id = `${task.task_id}/${s.session_id}`;
    const open = this.expanded.has(id);
    const rowId = `bd-${task.task_id}-${s.session_id}`.replace(/[^A-Za-z0-9_-]/g, '_');
    const offset = report.utc_offset;
    let charge: TemplateResult;
    if (s.status === 'completed') charge = html`${amount(s.charged_tokens, s.charged_credits)}`;
    else if (s.status === 'cancelled') charge = html`<span class="charge-free" data-testid="free-cancelled">Free · cancelled</span>`;
    else charge = html`<span class="charge-free" data-testid="pending">Pending</span>`;
    const badge = s.status === 'completed' ? 'success' : s.status === 'cancelled' ? 'warning' : 'accent';
    return html`
      <tr data-session=${id} data-status=${s.status}>
        <td class="session-id">${s.session_id}<div class="models">${s.models.join(', ')}</div></td>
        <td><span class=${`badge ${badge}`}>${STATUS_LABELS[s.status]}</span></td>
        <td class="hide-narrow small nowrap">${formatDateTime(s.first_usage_at, offset)}
          <div class="faint">${s.completed_at ? `completed ${formatDateTime(s.completed_at, offset)}` : `last ${formatDateTime(s.last_usage_at, offset)}`}</div></td>
        <td class="num hide-narrow">${formatTokens(s.output_tokens)}</td>
        <td class="num hide-narrow">${formatTokens(s.input_cache_miss_tokens)}</td>
        <td class="num hide-narrow">${formatTokens(s.input_cache_hit_tokens)}</td>
        <td class="num" data-col="charge">${charge}</td>
        <td class="expand-cell"><button class="expand ghost icon" aria-expanded=${String(open)} aria-controls=${rowId}
          aria-label=${`Breakdown of session ${s.session_id}`} title="Breakdown" @click=${() => this.toggle(id)}
          ><span class=${`chevron${open ? ' open' : ''}`} aria-hidden="true"></span></button></td>
      </tr>
      ${open ? html`<tr class="breakdown" id=${rowId}><td colspan="8">${this.renderBreakdown(task, s, index)}</td></tr>` : nothing}`;
  }

  private renderBreakdown(task: TaskRow, s: SessionRow, index: GrantIndex): TemplateResult {
    return html`<dl data-testid="breakdown">
      ${s.charge ? html`<dt>Charge</dt><dd>${chargeEquation(s.charge)}</dd><dt>Paid from</dt><dd>${chargePaidFrom(s.charge, index).replace(/^paid from: /, '')}</dd>`
        : s.status === 'cancelled' ? html`<dt>Charge</dt><dd>None: the session was cancelled with its task${task.cancel_reason ? html` (${task.cancel_reason})` : ''}.</dd>`
        : html`<dt>Charge</dt><dd>Not yet: ${formatTokens(s.output_tokens)} output + ${formatTokens(s.input_cache_miss_tokens)} cache-miss input tokens are pending until the session completes.</dd>`}
      <dt>Output</dt><dd>${formatTokens(s.output_tokens)} tokens</dd>
      <dt>Input, cache miss</dt><dd>${formatTokens(s.input_cache_miss_tokens)} tokens</dd>
      <dt>Input, cache hit</dt><dd>${formatTokens(s.input_cache_hit_tokens)} tokens (free)</dd>
      ${FREE_CATEGORIES.filter((c) => s.free[`${c}_tokens`] > 0).map((c) => html`<dt>Free: ${FREE_LABELS[c]}</dt><dd>${formatCredits(s.free[`${c}_credits`])} credits</dd>`)}
      <dt>Total</dt><dd>${formatTokens(s.total_tokens)} tokens = ${formatCredits(s.total_credits)} credits, of which ${formatCredits(s.charged_credits)} charged</dd>
    </dl>`;
  }

  private toggle(id: string): void {
    const next = new Set(this.expanded);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    this.expanded = next;
  }
}

customElements.define('ec-project-detail', EcProjectDetail);

declare global {
  interface HTMLElementTagNameMap { 'ec-project-detail': EcProjectDetail }
}
