// The resource usage panel (the "Usage" popup of the seed guide): balance by source, what
// expires next, usage for a range, per project and per day, and the ledger that explains it.
import { LitElement, html, css, nothing, type TemplateResult } from 'lit';
import type { AccountReport, DailyRow, Figures, EntriesQuery, ForecastReport, Grant, LedgerEntry } from '../credits';
import type { LedgerSession } from '../credits';
import {
  FREE_CATEGORIES, FREE_LABELS, SOURCE_LABELS, figuresDecimals, formatCredits, formatCreditsFixed, formatDateTime,
  formatPercent, formatTokens, groupDecimals, offsetLabel,
} from '../format';
import {
  ENTRY_KIND_LABELS, amount, chargeEquation, chargePaidFrom, grantIndex, grantLabel, guard, ledgerSentence, type GrantIndex,
} from '../describe';
import { dailyCsv, download, ledgerCsv, projectsCsv } from '../csv';
import { resolveRange, type RangeChoice, type RangeKind } from '../store';
import { base } from './styles';
import { SessionWatch } from '../session-watch';
import './ec-daily-chart';
import { browserZone } from '../zone';

type Tab = 'balance' | 'usage' | 'ledger';
type DayZone = 'account' | 'utc' | 'local';
type LedgerFilter = 'all' | 'charge' | 'grants';

const THRESHOLD_KEY = 'easycoda.lowBalancePercent';
const THRESHOLDS = [0, 5, 10, 25, 50, 75, 80, 90, 100];
const LEDGER_PAGE = 40;
const SOURCES = ['signup', 'promotion', 'plan', 'purchase'] as const;

function storedThreshold(): number {
  try {
    const value = Number(localStorage.getItem(THRESHOLD_KEY) ?? '80');
    return THRESHOLDS.includes(value) ? value : 80;
  } catch {
    return 80;
  }
}

export class EcUsagePanel extends LitElement {
  static properties = {
    session: { attribute: false },
    at: { type: String },
    tab: { state: true },
    range: { state: true },
    zone: { state: true },
    threshold: { state: true },
    ledgerFilter: { state: true },
    ledgerShown: { state: true },
    showAllGrants: { state: true },
  };

  declare session: LedgerSession | null;
  declare at: string;
  declare tab: Tab;
  declare range: RangeChoice;
  declare zone: DayZone;
  declare threshold: number;
  declare ledgerFilter: LedgerFilter;
  declare ledgerShown: number;
  declare showAllGrants: boolean;

  // Answers from the worker (a large ledger) re-render the element when they arrive.
  protected readonly answers = new SessionWatch(this, () => this.session);

  constructor() {
    super();
    this.session = null;
    this.at = '';
    this.tab = 'balance';
    this.range = { kind: 'period' };
    this.zone = 'account';
    this.threshold = storedThreshold();
    this.ledgerFilter = 'all';
    this.ledgerShown = LEDGER_PAGE;
    this.showAllGrants = false;
  }

  static styles = [base, css`
    :host { display: block; }
    .tabs { display: flex; gap: 4px; border-bottom: 1px solid var(--border); padding: 0 20px; overflow-x: auto; }
    .tabs button {
      border: 0; border-bottom: 2px solid transparent; border-radius: 0; background: none; padding: 10px 10px;
      color: var(--text-muted); min-height: 40px;
    }
    .tabs button[aria-selected="true"] { color: var(--text); border-bottom-color: var(--accent); }
    .tabs button:hover { background: none; color: var(--text); }
    .panel { padding: 20px; display: flex; flex-direction: column; gap: 20px; }
    .balance-head { display: flex; gap: 16px; align-items: flex-end; flex-wrap: wrap; justify-content: space-between; }
    .balance-big { font-size: 34px; font-weight: 650; letter-spacing: -0.02em; line-height: 1.1; font-variant-numeric: tabular-nums; }
    .balance-big.negative { color: var(--danger); }
    .balance-big .unit { font-size: 15px; font-weight: 500; color: var(--text-muted); margin-left: 6px; letter-spacing: 0; }
    .callout-title { font-weight: 600; }
    .expiry-amount { font-size: 17px; }
    section > h3 { margin-bottom: 10px; }
    .section-head { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; margin-bottom: 10px; }
    .section-head h3 { flex: 1; margin: 0; }
    .grant-name { max-width: 260px; overflow-wrap: anywhere; }
    tr.inactive td { color: var(--text-faint); }
    .ledger-list { list-style: none; margin: 0; padding: 0; border: 1px solid var(--border); border-radius: var(--radius); }
    .ledger-list li { display: grid; grid-template-columns: 150px 1fr auto; gap: 4px 16px; padding: 10px 14px; border-bottom: 1px solid var(--border); }
    .ledger-list li:last-child { border-bottom: 0; }
    .ledger-when { color: var(--text-muted); font-size: 12px; }
    .ledger-what { min-width: 0; overflow-wrap: anywhere; }
    .ledger-where { font-size: 12px; color: var(--text-muted); overflow-wrap: anywhere; }
    .ledger-balance { text-align: right; font-variant-numeric: tabular-nums; font-size: 12px; color: var(--text-muted); white-space: nowrap; }
    .range-label { font-size: 12px; color: var(--text-muted); }
    .custom-range { display: flex; gap: 8px; align-items: flex-end; flex-wrap: wrap; }
    .totals-line { font-size: 12px; color: var(--text-muted); margin-top: 4px; }
    .threshold { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
    .project-name { overflow-wrap: anywhere; }
    @media (max-width: 640px) {
      .hide-narrow { display: none; }
      th, td { padding: 8px 8px; }
      .panel { padding: 16px; }
      .tabs { padding: 0 12px; }
      .ledger-list li { grid-template-columns: 1fr; }
      .ledger-balance { text-align: left; }
      .balance-big { font-size: 28px; }
    }
  `];

  private get planNames(): Map<string, string> {
    return new Map((this.session?.engine.catalog.plans ?? []).map((p) => [p.id, p.name ?? p.id]));
  }

  render() {
    return guard(() => this.renderPanel());
  }

  private renderPanel(): TemplateResult {
    const session = this.session;
    if (!session || !this.at) return html`<p class="empty">No account loaded.</p>`;
    const report = session.account({ at: this.at });
    const index = grantIndex(report, this.planNames);
    const tabs: [Tab, string][] = [['balance', 'Balance'], ['usage', 'Usage'], ['ledger', 'Ledger']];
    return html`
      <div class="tabs" role="tablist" aria-label="Usage sections" @keydown=${this.onTabKey}>
        ${tabs.map(([id, label]) => html`
          <button role="tab" id=${`tab-${id}`} aria-controls=${`panel-${id}`} aria-selected=${String(this.tab === id)}
            tabindex=${this.tab === id ? 0 : -1} @click=${() => { this.tab = id; }}>${label}</button>`)}
      </div>
      <div class="panel" role="tabpanel" id=${`panel-${this.tab}`} aria-labelledby=${`tab-${this.tab}`} tabindex="0">
        ${this.tab === 'balance' ? this.renderBalance(report, index, session) : nothing}
        ${this.tab === 'usage' ? this.renderUsage(session) : nothing}
        ${this.tab === 'ledger' ? this.renderLedger(report, index, session) : nothing}
      </div>
    `;
  }

  private onTabKey(event: KeyboardEvent): void {
    const order: Tab[] = ['balance', 'usage', 'ledger'];
    const i = order.indexOf(this.tab);
    let next: Tab | null = null;
    if (event.key === 'ArrowRight') next = order[(i + 1) % order.length];
    if (event.key === 'ArrowLeft') next = order[(i + order.length - 1) % order.length];
    if (event.key === 'Home') next = order[0];
    if (event.key === 'End') next = order[order.length - 1];
    if (!next) return;
    event.preventDefault();
    this.tab = next;
    void this.updateComplete.then(() => (this.renderRoot.querySelector(`#tab-${next}`) as HTMLElement | null)?.focus());
  }

  // ---------- balance ----------

  private renderBalance(report: AccountReport, index: GrantIndex, session: LedgerSession): TemplateResult {
    const forecast = session.forecast(this.at);
    const offset = report.utc_offset;
    const negative = report.balance_tokens < 0;
    const sourceDecimals = groupDecimals(SOURCES.map((source) => report.balance_by_source[source].remaining_credits));
    return html`
      <div class="balance-head">
        <div>
          <div class="muted small">Balance</div>
          <div class=${`balance-big${negative ? ' negative' : ''}`} data-testid="balance" data-tokens=${String(report.balance_tokens)}
            title=${`${formatTokens(report.balance_tokens)} tokens`}>
            ${formatCredits(report.balance_credits)}<span class="unit">credits</span>
          </div>
          <div class="muted small" data-testid="balance-tokens">${formatTokens(report.balance_tokens)} tokens</div>
        </div>
        ${report.can_start_agent_chat
          ? html`<span class="badge success" data-testid="chat-state">Agent chats available</span>`
          : html`<span class="badge danger" data-testid="chat-state">Agent chats unavailable</span>`}
      </div>
      ${!report.can_start_agent_chat ? html`
        <div class="callout danger" role="alert" data-testid="overdraft">
          <span class="icon-dot"></span>
          <div>
            <div class="callout-title">You cannot start agent chats.</div>
            <p>${report.overdraft_tokens > 0
              ? html`Your account is overdrawn by ${amount(report.overdraft_tokens, report.overdraft_credits, true)}: charged tokens no grant has covered yet. The next credits you receive pay this back first.`
              : html`Your balance is ${formatCredits(report.balance_credits)} credits.`}
              <a href="#/pricing" @click=${this.requestClose}>Buy credits or upgrade</a>.</p>
          </div>
        </div>` : nothing}
      ${this.renderThresholdWarning(report, index)}
      ${this.renderExpiry(report, forecast, index)}
      ${report.failed_billings.map((b) => html`
        <div class="callout warning" data-testid="failed-billing">
          <span class="icon-dot"></span>
          <div><span class="callout-title">Billing failed on ${formatDateTime(b.at, offset)}.</span>
            The ${index.planNames.get(b.plan) ?? b.plan} plan for the period starting ${formatDateTime(b.period_start, offset)} granted no credits.</div>
        </div>`)}
      <section aria-labelledby="by-source">
        <h3 id="by-source">By source</h3>
        <div class="stat-grid" data-testid="by-source">
          ${SOURCES.map((source) => {
            const s = report.balance_by_source[source];
            return html`<div class="stat" data-testid=${`source-${source}`}>
              <div class="label">${SOURCE_LABELS[source]}</div>
              <div class="value">${amount(s.remaining_tokens, s.remaining_credits, false, sourceDecimals)}</div>
              <div class="sub">${formatTokens(s.remaining_tokens)} tokens</div>
            </div>`;
          })}
        </div>
      </section>
      <section aria-labelledby="grants-h">
        <div class="section-head">
          <h3 id="grants-h">Grants</h3>
          <label class="row small muted"><input type="checkbox" .checked=${this.showAllGrants}
            @change=${(e: Event) => { this.showAllGrants = (e.target as HTMLInputElement).checked; }}> Show used-up and expired</label>
        </div>
        ${this.renderGrants(report, forecast, index)}
      </section>
      <section aria-labelledby="threshold-h">
        <h3 id="threshold-h">Low-balance warning</h3>
        <div class="threshold">
          <label for="threshold">Warn me when I have used</label>
          <select id="threshold" data-testid="threshold" @change=${this.onThreshold}>
            ${THRESHOLDS.map((t) => html`<option value=${t} ?selected=${t === this.threshold}>${t === 0 ? 'never (off)' : `${t}%`}</option>`)}
          </select>
          <span class="muted">of my plan credits for the period.</span>
        </div>
      </section>
    `;
  }

  private renderExpiry(report: AccountReport, forecast: ForecastReport, index: GrantIndex) {
    const next = report.expires_next;
    if (!next) return nothing;
    // The core's sum for the same instant as expires_next (both: the earliest expiry after T).
    const likely = forecast.next_expiry?.expires_at === next.expires_at ? forecast.next_expiry : null;
    const names = next.grant_ids.map((id) => {
      const g = index.byId.get(id);
      return g ? grantLabel(g, index) : id;
    }).join(', ');
    return html`
      <div class="callout info" data-testid="expires-next">
        <span class="icon-dot"></span>
        <div>
          <div class="callout-title expiry-amount">
            ${amount(next.remaining_tokens, next.remaining_credits)} credits expire on ${formatDateTime(next.expires_at, report.utc_offset)}
            <span class="muted small">(${offsetLabel(report.utc_offset)})</span>
          </div>
          <p class="muted">${names}.
            ${likely ? html`At the pace of the last 30 days (about ${formatCredits(forecast.rate_credits_per_day)} credits a day),
              <strong data-testid="likely-unused">${amount(likely.likely_unused_tokens, likely.likely_unused_credits, true)}</strong>
              will likely expire unused.` : nothing}
          </p>
        </div>
      </div>`;
  }

  private renderThresholdWarning(report: AccountReport, index: GrantIndex) {
    const period = report.billing_period;
    // The basis and its used share are the core's; only the user's threshold is compared here.
    if (this.threshold === 0 || period.used_bp === null || period.used_bp < this.threshold * 100) return nothing;
    const grants = period.grant_ids.map((id) => index.byId.get(id)).filter((g): g is Grant => g !== undefined);
    const what = period.basis === 'plan' ? `of this period's plan credits (${grants.map((g) => grantLabel(g, index)).join(', ')})` : 'of your active credits';
    return html`
      <div class="callout warning" role="status" data-testid="low-balance" data-used-bp=${String(period.used_bp)}>
        <span class="icon-dot"></span>
        <div><span class="callout-title">Low balance: you have used ${formatPercent(period.used_bp / 10000)} ${what}.</span>
          ${formatTokens(period.used_tokens)} of ${formatTokens(period.granted_tokens)} tokens are used; your warning is set at ${this.threshold}%.</div>
      </div>`;
  }

  private onThreshold(event: Event): void {
    this.threshold = Number((event.target as HTMLSelectElement).value);
    try { localStorage.setItem(THRESHOLD_KEY, String(this.threshold)); } catch { /* private mode */ }
  }

  private renderGrants(report: AccountReport, forecast: ForecastReport, index: GrantIndex) {
    const likely = new Map(forecast.grants.map((g) => [g.id, g]));
    const grants = report.grants.filter((g) => this.showAllGrants || (g.active && g.remaining_tokens > 0));
    if (grants.length === 0) return html`<p class="empty">No grant has credits left. Tick “Show used-up and expired” to see them all.</p>`;
    const offset = report.utc_offset;
    return html`
      <div class="table-wrap">
        <table class="stacked" data-testid="grants">
          <thead><tr>
            <th scope="col">Grant</th><th scope="col">Expires</th>
            <th scope="col" class="num">Granted</th><th scope="col" class="num">Used</th>
            <th scope="col" class="num">Expired</th><th scope="col" class="num">Remaining</th>
            <th scope="col" class="num">Likely unused</th>
          </tr></thead>
          <tbody>
            ${grants.map((g: Grant) => {
              const f = likely.get(g.id);
              return html`<tr class=${g.active ? '' : 'inactive'} data-grant=${g.id}>
                <td><div class="grant-name">${grantLabel(g, index)}</div>
                  <div class="faint small">${SOURCE_LABELS[g.source]} · granted ${formatDateTime(g.granted_at, offset)}</div></td>
                <td class="nowrap" data-label="Expires">${g.expires_at ? formatDateTime(g.expires_at, offset) : html`<span class="muted">Never</span>`}</td>
                <td class="num" data-label="Granted">${amount(g.granted_tokens, g.granted_credits)}</td>
                <td class="num" data-label="Used">${amount(g.used_tokens, g.used_credits)}</td>
                <td class="num" data-label="Expired">${amount(g.expired_tokens, g.expired_credits)}</td>
                <td class="num" data-label="Remaining">${amount(g.remaining_tokens, g.remaining_credits)}</td>
                <td class="num" data-label="Likely unused">${f ? amount(f.likely_unused_tokens, f.likely_unused_credits) : html`<span class="faint">—</span>`}</td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>`;
  }

  // ---------- usage ----------

  private renderUsage(session: LedgerSession): TemplateResult {
    const resolved = resolveRange(session, this.at, this.range);
    const ranges: [RangeKind, string][] = [['period', 'This period'], ['last30', 'Last 30 days'], ['all', 'All time'], ['custom', 'Custom']];
    const head = html`
      <div class="section-head">
        <div class="segmented" role="radiogroup" aria-label="Usage range">
          ${ranges.map(([kind, label]) => html`<button role="radio" aria-checked=${String(this.range.kind === kind)}
            data-range=${kind} @click=${() => { this.range = { ...this.range, kind }; }}>${label}</button>`)}
        </div>
        <span class="range-label" data-testid="range-label">${resolved.label}</span>
      </div>
      ${this.range.kind === 'custom' ? html`
        <div class="custom-range">
          <div class="field"><label for="from">From</label>
            <input id="from" type="date" .value=${this.range.from ?? ''} @change=${(e: Event) => { this.range = { ...this.range, from: (e.target as HTMLInputElement).value }; }}></div>
          <div class="field"><label for="to">To (inclusive)</label>
            <input id="to" type="date" .value=${this.range.to ?? ''} @change=${(e: Event) => { this.range = { ...this.range, to: (e.target as HTMLInputElement).value }; }}></div>
          <span class="hint muted small">Dates in the account's time zone (${offsetLabel(session.utcOffset)}).</span>
        </div>` : nothing}`;
    if (resolved.error) return html`${head}<p class="muted" role="status" data-testid="range-error">${resolved.error}</p>`;
    const report = resolved.report ?? session.account(resolved.query);
    const u = report.usage;
    // Local days follow the browser's zone through its changes of offset: the zone's offsets over
    // the range go to the core, which cuts the days.
    const local = browserZone();
    const zone = this.zone === 'account' ? {} : this.zone === 'utc' ? { utc_offset: '+00:00' }
      : { utc_offsets: local.offsetsBetween(report.from, report.to) };
    const zoneLabel = this.zone === 'account' ? offsetLabel(session.utcOffset) : this.zone === 'utc' ? 'UTC' : local.name;
    const daily = session.dailyIn(zone, resolved.query);
    const decimals = figuresDecimals(u);
    return html`
      ${head}
      <div class="stat-grid" data-testid="usage-figures">
        <div class="stat highlight" data-figure="charged">
          <div class="label">Charged</div>
          <div class="value">${amount(u.charged_tokens, u.charged_credits, false, decimals)}</div>
          <div class="sub">${formatTokens(u.charged_tokens)} tokens</div>
        </div>
        ${FREE_CATEGORIES.map((c) => html`
          <div class="stat" data-figure=${c}>
            <div class="label"><span class=${`swatch ${c}`}></span><span>Free: ${FREE_LABELS[c]}</span></div>
            <div class="value">${amount(u.free[`${c}_tokens`], u.free[`${c}_credits`], false, decimals)}</div>
            <div class="sub">${formatTokens(u.free[`${c}_tokens`])} tokens</div>
          </div>`)}
        <div class="stat" data-figure="total">
          <div class="label">Total used</div>
          <div class="value">${amount(u.total_tokens, u.total_credits, false, decimals)}</div>
          <div class="sub">${formatCreditsFixed(u.free_credits, decimals)} of it free</div>
        </div>
      </div>
      <div class="callout success" data-testid="cache-saved">
        <span class="icon-dot"></span>
        <div>Cache hits saved you <strong>${formatTokens(u.free.cache_hit_tokens)} tokens</strong>
          (${amount(u.free.cache_hit_tokens, u.free.cache_hit_credits, true)}) in this range: input served from the prompt cache is never charged.</div>
      </div>
      <section aria-labelledby="daily-h">
        <div class="section-head">
          <h3 id="daily-h">Per day</h3>
          <div class="segmented" role="radiogroup" aria-label="Days cut in time zone">
            ${([['account', `Account (${offsetLabel(session.utcOffset)})`], ['utc', 'UTC'], ['local', `Local (${local.name})`]] as [DayZone, string][])
              .map(([zone, label]) => html`<button role="radio" aria-checked=${String(this.zone === zone)} data-zone=${zone}
                @click=${() => { this.zone = zone; }}>${label}</button>`)}
          </div>
          <button @click=${() => download(`usage-daily-${session.accountId}.csv`, dailyCsv(daily, zoneLabel))} data-testid="export-daily">Export CSV</button>
        </div>
        <ec-daily-chart .rows=${daily} caption=${`Usage per day in ${zoneLabel}`} data-zone-label=${zoneLabel}></ec-daily-chart>
        ${this.renderDailyTotals(daily, u, zoneLabel)}
      </section>
      <section aria-labelledby="projects-h">
        <div class="section-head">
          <h3 id="projects-h">Per project</h3>
          <button @click=${() => download(`usage-projects-${session.accountId}.csv`, projectsCsv(report))} data-testid="export-projects">Export CSV</button>
        </div>
        <div class="table-wrap">
          <table data-testid="usage-projects">
            <thead><tr>
              <th scope="col">Project</th><th scope="col" class="num">Charged</th>
              <th scope="col" class="num">Free</th><th scope="col" class="num hide-narrow">of it cache hits</th>
              <th scope="col" class="num hide-narrow">Total</th>
            </tr></thead>
            <tbody>
              ${report.projects.map((p) => html`<tr data-project=${p.id}>
                <td><a class="project-name" href=${`#/projects/${encodeURIComponent(p.id)}/settings`} @click=${this.requestClose}>${p.name}</a>
                  <div class="faint small mono">${p.id}</div></td>
                <td class="num" data-col="charged">${amount(p.charged_tokens, p.charged_credits)}</td>
                <td class="num">${amount(p.free_tokens, p.free_credits)}</td>
                <td class="num hide-narrow">${amount(p.free.cache_hit_tokens, p.free.cache_hit_credits)}</td>
                <td class="num hide-narrow">${amount(p.total_tokens, p.total_credits)}</td>
              </tr>`)}
            </tbody>
          </table>
        </div>
      </section>
    `;
  }

  private renderDailyTotals(daily: DailyRow[], usage: Figures, zoneLabel: string) {
    // The range's totals are the report's: the core's days in any zone add up to them (its tests
    // check that), so the console shows them rather than adding the rows itself.
    return html`<p class="totals-line" data-testid="daily-totals" data-charged=${String(usage.charged_tokens)} data-total=${String(usage.total_tokens)}>
      ${formatTokens(daily.length)} days in ${zoneLabel} · the range: ${formatTokens(usage.charged_tokens)} tokens charged, ${formatTokens(usage.total_tokens)} tokens in all</p>`;
  }

  // ---------- ledger ----------

  private renderLedger(report: AccountReport, index: GrantIndex, session: LedgerSession): TemplateResult {
    const names = new Map(session.projects.map((p) => [p.id, p.name]));
    // The engine filters and pages the entries, newest first: the popup asks for the pages it shows.
    const kind: EntriesQuery['kind'] = this.ledgerFilter === 'all' ? undefined
      : this.ledgerFilter === 'charge' ? 'charge' : ['grant', 'repayment', 'expiry', 'billing_failed', 'opening'];
    const pages = Math.ceil(this.ledgerShown / LEDGER_PAGE);
    const first = session.entries({ at: this.at, offset: 0, limit: LEDGER_PAGE, kind, order: 'newest' });
    const shown: LedgerEntry[] = [...first.entries];
    for (let p = 1; p < pages && shown.length < first.total; p++) {
      shown.push(...session.entries({ at: this.at, offset: p * LEDGER_PAGE, limit: LEDGER_PAGE, kind, order: 'newest' }).entries);
    }
    const total = first.total;
    const filters: [LedgerFilter, string][] = [['all', 'All'], ['charge', 'Charges'], ['grants', 'Grants & expiries']];
    return html`
      <div class="section-head">
        <div class="segmented" role="radiogroup" aria-label="Ledger entries">
          ${filters.map(([f, label]) => html`<button role="radio" aria-checked=${String(this.ledgerFilter === f)}
            @click=${() => { this.ledgerFilter = f; this.ledgerShown = LEDGER_PAGE; }}>${label}</button>`)}
        </div>
        <span class="muted small">${formatTokens(total)} entries, newest first</span>
        <span class="spacer"></span>
        <button @click=${() => this.exportLedger(session)} data-testid="export-ledger">Export CSV</button>
      </div>
      <ol class="ledger-list" data-testid="ledger">
        ${shown.map((e) => html`<li data-kind=${e.kind}>
          <div>
            <span class=${`badge ${e.kind === 'charge' ? 'accent' : e.kind === 'expiry' || e.kind === 'billing_failed' ? 'warning' : 'success'}`}>${ENTRY_KIND_LABELS[e.kind]}</span>
            <div class="ledger-when">${formatDateTime(e.at, report.utc_offset)}</div>
          </div>
          <div class="ledger-what">
            ${e.kind === 'charge' ? html`
              <div data-testid="charge-sentence">${chargeEquation(e)}, ${chargePaidFrom(e, index)}</div>
              <div class="ledger-where">${names.get(e.project_id) ?? e.project_id} · task ${e.task_id} · session ${e.session_id}</div>`
              : html`<div>${ledgerSentence(e, index)}</div>`}
          </div>
          <div class="ledger-balance">balance ${formatCredits(e.balance_credits)}</div>
        </li>`)}
      </ol>
      ${total > shown.length ? html`<div class="row"><button @click=${() => { this.ledgerShown += LEDGER_PAGE; }}>
        Show ${Math.min(LEDGER_PAGE, total - shown.length)} more</button></div>` : nothing}
    `;
  }

  private async exportLedger(session: LedgerSession): Promise<void> {
    const at = this.at;
    download(`ledger-${session.accountId}.csv`, ledgerCsv(await session.allEntries(at)));
  }

  private requestClose = (): void => {
    this.dispatchEvent(new CustomEvent('request-close', { bubbles: true, composed: true }));
  };
}

customElements.define('ec-usage-panel', EcUsagePanel);

declare global {
  interface HTMLElementTagNameMap { 'ec-usage-panel': EcUsagePanel }
}
