// The Pricing page: the catalog, a credits ↔ tokens converter and the monthly calculator.
// Every figure comes from the engine (conversions and quotes); this element parses what the
// user types and lays the answers out.
import { LitElement, html, css, nothing, type TemplateResult } from 'lit';
import type { CreditEngine, LedgerSession, QuoteInput, QuoteOption, QuoteReport } from '../credits';
import { documentErrors } from '../credits';
import { formatCredits, formatCreditsCompact, formatMoney, formatTokens } from '../format';
import { amount } from '../describe';
import { base } from './styles';

interface Preset { id: string; label: string; hint: string; output: string; input: string; rate: string }

export const PRESETS: Preset[] = [
  { id: 'light', label: 'Light', hint: 'a side project, a few sessions a week', output: '1000000', input: '10000000', rate: '80' },
  { id: 'daily', label: 'Daily', hint: 'one developer, every working day', output: '5000000', input: '60000000', rate: '85' },
  { id: 'heavy', label: 'Heavy', hint: 'a team, agents running all day', output: '20000000', input: '300000000', rate: '90' },
];

/** 9091 bp → "90.91" (the rate field's text): a display of the core's integer. */
function basisPointsAsPercent(bp: number): string {
  const text = String(bp).padStart(3, '0');
  const whole = text.slice(0, -2).replace(/^0+(?=\d)/, '');
  const fraction = text.slice(-2).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

/** "12,000,000", "12 000 000", "12M", "1.5k" → 12000000 / 1500; null when not a whole count. */
export function parseTokenCount(text: string): number | null {
  const t = text.trim().replace(/[\s_',]/g, '');
  const m = /^(\d+)(?:\.(\d+))?([kKmMbB]?)$/.exec(t);
  if (!m) return null;
  const zeros = { '': 0, k: 3, m: 6, b: 9 }[m[3].toLowerCase() as '' | 'k' | 'm' | 'b'];
  const fraction = m[2] ?? '';
  if (fraction.length > zeros) return null;
  const digits = `${m[1]}${fraction.padEnd(zeros, '0')}`;
  const value = BigInt(digits);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : null;
}

/** "85", "85.5", "85.25" (percent) → basis points 8500 / 8550 / 8525; null when out of range. */
export function parsePercentBp(text: string): number | null {
  const m = /^(\d{1,3})(?:[.,](\d{1,2}))?\s*%?$/.exec(text.trim());
  if (!m) return null;
  const bp = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return bp <= 10000 ? bp : null;
}

export class EcPricing extends LitElement {
  static properties = {
    engine: { attribute: false },
    session: { attribute: false },
    at: { type: String },
    outputText: { state: true },
    inputText: { state: true },
    rateText: { state: true },
    preset: { state: true },
    creditsText: { state: true },
    tokensText: { state: true },
  };

  declare engine: CreditEngine | null;
  declare session: LedgerSession | null;
  declare at: string;
  declare outputText: string;
  declare inputText: string;
  declare rateText: string;
  declare preset: string;
  declare creditsText: string;
  declare tokensText: string;

  constructor() {
    super();
    this.engine = null;
    this.session = null;
    this.at = '';
    const daily = PRESETS[1];
    this.outputText = daily.output;
    this.inputText = daily.input;
    this.rateText = daily.rate;
    this.preset = daily.id;
    this.creditsText = '1';
    this.tokensText = '10000';
  }

  static styles = [base, css`
    :host { display: block; }
    .page { display: flex; flex-direction: column; gap: 20px; }
    .plans { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 12px; }
    .plan { padding: 16px; display: flex; flex-direction: column; gap: 6px; }
    .plan .price { font-size: 22px; font-weight: 650; letter-spacing: -0.02em; }
    .plan .price small { font-size: 13px; font-weight: 400; color: var(--text-muted); }
    .plan ul { margin: 4px 0 0; padding-left: 18px; color: var(--text-muted); font-size: 13px; }
    .converter { display: grid; grid-template-columns: 1fr auto 1fr; gap: 12px; align-items: start; }
    .converter .eq { padding-top: 30px; color: var(--text-muted); font-size: 18px; }
    .inputs { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 12px; }
    .presets { display: flex; gap: 8px; flex-wrap: wrap; }
    .presets button[aria-pressed="true"] { border-color: var(--accent); background: var(--accent-soft); color: var(--accent-text); }
    .summary { font-size: 13px; color: var(--text-muted); }
    .summary strong { color: var(--text); }
    tr.recommended td { background: var(--accent-soft); }
    tr.recommended td:first-child { box-shadow: inset 3px 0 0 var(--accent); }
    .option-name { font-weight: 600; }
    .cost { font-weight: 600; font-size: 14px; }
    td .note { font-size: 12px; color: var(--text-muted); font-weight: 400; white-space: normal; max-width: 260px; margin-left: auto; }
    td:first-child .note { margin-left: 0; }
    input.big { font-size: 15px; min-height: 38px; width: 100%; font-variant-numeric: tabular-nums; }
    @media (max-width: 720px) {
      .inputs { grid-template-columns: 1fr; }
      .converter { grid-template-columns: 1fr; }
      .converter .eq { padding-top: 0; text-align: center; }
      .options thead { display: none; }
      .options, .options tbody, .options tr, .options td { display: block; width: 100%; }
      .options tr { border-bottom: 1px solid var(--border); padding: 10px 12px; }
      .options tr:last-child { border-bottom: 0; }
      .options td { border: 0; padding: 3px 0; display: flex; justify-content: space-between; gap: 12px; text-align: right; }
      .options td:first-child { display: block; text-align: left; padding-bottom: 6px; }
      .options td[data-label]::before { content: attr(data-label); color: var(--text-muted); font-size: 12px; text-align: left; flex: none; }
      .options td > .amount, .options td > span { flex: none; }
      .options td > div { flex: 1 1 auto; min-width: 0; }
      .options td .note { max-width: none; }
      .options .amount::after { content: none; }
      .options tr.recommended td:first-child { box-shadow: none; }
      .options tr.recommended { box-shadow: inset 3px 0 0 var(--accent); background: var(--accent-soft); }
    }
  `];

  render() {
    const engine = this.engine;
    if (!engine) return html`<p class="empty">The credit engine is not loaded.</p>`;
    return html`
      <div class="page">
        ${this.renderCatalog(engine)}
        ${this.renderConverter(engine)}
        ${this.renderCalculator(engine)}
      </div>`;
  }

  private renderCatalog(engine: CreditEngine): TemplateResult {
    const { currency, plans, packs } = engine.catalog;
    return html`
      <section aria-labelledby="plans-h" class="stack">
        <h2 id="plans-h">Plans</h2>
        <div class="plans">
          <div class="card plan">
            <div class="muted small">Free</div>
            <div class="price">${formatMoney(0, currency)}</div>
            <ul><li>${formatCredits(engine.signupCredits)} credits when you sign up</li><li>Never expire</li></ul>
          </div>
          ${plans.map((p) => html`<div class="card plan">
            <div class="muted small">${p.name ?? p.id}</div>
            <div class="price">${formatMoney(p.monthly_price_minor, currency)} <small>/ month</small></div>
            <ul><li>${formatCredits(p.monthly_credits)} credits each billing month</li>
              <li>Unused plan credits expire at the end of the month</li></ul>
          </div>`)}
        </div>
      </section>
      <section aria-labelledby="packs-h" class="stack">
        <h2 id="packs-h">Credit packs</h2>
        <div class="plans">
          ${packs.map((p) => html`<div class="card plan">
            <div class="muted small">${p.name ?? p.id}</div>
            <div class="price">${formatMoney(p.price_minor, currency)}</div>
            <ul><li>${formatCredits(p.credits_credits)} credits, bought any time</li><li>Never expire</li></ul>
          </div>`)}
        </div>
        <p class="faint small">1 credit = 10,000 tokens. Only output tokens and cache-miss input tokens are charged; cache hits, summarization and other services are free.</p>
      </section>`;
  }

  // ---------- converter ----------

  private renderConverter(engine: CreditEngine): TemplateResult {
    let creditsError = '';
    let tokensError = '';
    try {
      if (this.creditsText.trim()) engine.creditsToTokens(this.creditsText.trim());
    } catch (error) {
      creditsError = documentErrors(error)?.[0]?.message ?? 'Not a credit amount.';
    }
    if (this.tokensText.trim() && parseTokenCount(this.tokensText) === null) tokensError = 'Enter a whole number of tokens.';
    return html`
      <section class="card" aria-labelledby="conv-h">
        <div class="card-header"><h2 id="conv-h">Credits ↔ tokens</h2><span class="muted small">Exact, both ways</span></div>
        <div class="card-body converter">
          <div class="field">
            <label for="credits">Credits</label>
            <input id="credits" class="big" inputmode="decimal" autocomplete="off" data-testid="conv-credits"
              .value=${this.creditsText} aria-invalid=${String(!!creditsError)} aria-describedby="credits-err"
              @input=${this.onCredits}>
            <span class="error" id="credits-err" role="status">${creditsError}</span>
          </div>
          <div class="eq" aria-hidden="true">=</div>
          <div class="field">
            <label for="tokens">Tokens</label>
            <input id="tokens" class="big" inputmode="numeric" autocomplete="off" data-testid="conv-tokens"
              .value=${this.tokensText} aria-invalid=${String(!!tokensError)} aria-describedby="tokens-err"
              @input=${this.onTokens}>
            <span class="error" id="tokens-err" role="status">${tokensError}</span>
          </div>
        </div>
      </section>`;
  }

  private onCredits(event: Event): void {
    this.creditsText = (event.target as HTMLInputElement).value;
    const engine = this.engine;
    if (!engine) return;
    try {
      const tokens = engine.creditsToTokens(this.creditsText.trim());
      this.tokensText = String(tokens);
    } catch {
      // The error is shown under the field; the other side keeps its last good value.
    }
  }

  private onTokens(event: Event): void {
    this.tokensText = (event.target as HTMLInputElement).value;
    const tokens = parseTokenCount(this.tokensText);
    if (tokens !== null && this.engine) this.creditsText = this.engine.tokensToCredits(tokens).replace(/\.?0+$/, '') || '0';
  }

  // ---------- calculator ----------

  private quoteInput(): { input: QuoteInput | null; errors: Record<string, string> } {
    const errors: Record<string, string> = {};
    const output = parseTokenCount(this.outputText);
    const input = parseTokenCount(this.inputText);
    const bp = parsePercentBp(this.rateText);
    if (output === null) errors.output = 'Enter a whole number of tokens (e.g. 5000000 or 5M).';
    if (input === null) errors.input = 'Enter a whole number of tokens (e.g. 60000000 or 60M).';
    if (bp === null) errors.rate = 'Enter a percentage from 0 to 100 (two decimals at most).';
    if (output === null || input === null || bp === null) return { input: null, errors };
    return { input: { output_tokens: output, input_tokens: input, cache_hit_rate_bp: bp }, errors };
  }

  private renderCalculator(engine: CreditEngine): TemplateResult {
    const { input, errors } = this.quoteInput();
    let quote: QuoteReport | null = null;
    let quoteError = '';
    if (input) {
      try {
        quote = engine.quote(input);
      } catch (error) {
        quoteError = documentErrors(error)?.map((e) => e.message).join(' ') ?? String(error);
      }
    }
    const field = (id: string, label: string, value: string, hint: string, onInput: (v: string) => void) => html`
      <div class="field">
        <label for=${id}>${label}</label>
        <input id=${id} class="big" inputmode="numeric" autocomplete="off" data-testid=${`calc-${id}`} .value=${value}
          aria-invalid=${String(!!errors[id])} aria-describedby=${`${id}-hint`}
          @input=${(e: Event) => { onInput((e.target as HTMLInputElement).value); this.preset = ''; }}>
        <span class=${errors[id] ? 'error' : 'hint'} id=${`${id}-hint`}>${errors[id] ?? hint}</span>
      </div>`;
    return html`
      <section class="card" aria-labelledby="calc-h">
        <div class="card-header"><h2 id="calc-h">What will a month cost?</h2></div>
        <div class="card-body stack">
          <div class="presets" role="group" aria-label="Usage presets">
            ${PRESETS.map((p) => html`<button aria-pressed=${String(this.preset === p.id)} data-preset=${p.id} title=${p.hint}
              @click=${() => this.applyPreset(p)}>${p.label}</button>`)}
            <button aria-pressed=${String(this.preset === 'replay')} data-preset="replay" ?disabled=${!this.session}
              title="Use the charged and cached tokens of the loaded ledger's last 30 days" @click=${this.replay}>Replay my last 30 days</button>
          </div>
          <div class="inputs">
            ${field('output', 'Output tokens / month', this.outputText, 'Everything the agents write.', (v) => { this.outputText = v; })}
            ${field('input', 'Input tokens / month', this.inputText, 'Prompts, files read, context.', (v) => { this.inputText = v; })}
            ${field('rate', 'Cache-hit rate (%)', this.rateText, 'Share of input served from the cache (free).', (v) => { this.rateText = v; })}
          </div>
          ${quote ? this.renderQuote(quote) : html`<p class="muted" role="status">${quoteError || 'Fix the highlighted fields to see the options.'}</p>`}
        </div>
      </section>`;
  }

  private applyPreset(p: Preset): void {
    this.outputText = p.output;
    this.inputText = p.input;
    this.rateText = p.rate;
    this.preset = p.id;
  }

  /**
   * Fills the calculator with the core's replay of the forecast window (the last 30 days,
   * clipped at the opening): the sessions charged in it, with their cache hits.
   */
  private async replay(): Promise<void> {
    const session = this.session;
    const at = this.at;
    if (!session || !at) return;
    // A large ledger's forecast comes from the worker: wait for it (in the page it is there at once).
    const { replay } = await session.settle(() => session.forecast(at));
    this.outputText = String(replay.output_tokens);
    this.inputText = String(replay.input_tokens);
    this.rateText = basisPointsAsPercent(replay.cache_hit_rate_bp);
    this.preset = 'replay';
  }

  private renderQuote(q: QuoteReport): TemplateResult {
    const cheapest = q.options.find((o) => o.recommended);
    return html`
      <p class="summary" data-testid="quote-summary">
        ${formatTokens(q.input.output_tokens)} output + ${formatTokens(q.input_cache_miss_tokens)} cache-miss input
        (${formatTokens(q.input_cache_hit_tokens)} input tokens hit the cache, free) =
        <strong>${formatTokens(q.needed_tokens)} tokens = ${formatCredits(q.needed_credits)} credits</strong> a month.
      </p>
      <div class="table-wrap">
        <table class="options" data-testid="quote-options" aria-describedby="cheapest-note">
          <thead><tr>
            <th scope="col">Option</th><th scope="col" class="num">Credits needed</th>
            <th scope="col" class="num">Plan credits included</th><th scope="col" class="num">Shortfall to buy</th>
            <th scope="col" class="num">Expire unused</th><th scope="col" class="num">Monthly cost</th>
          </tr></thead>
          <tbody>${q.options.map((o) => this.renderOption(o, q.currency))}</tbody>
        </table>
      </div>
      <p id="cheapest-note" class="small muted" role="status" data-testid="cheapest">
        ${cheapest ? html`Cheapest: <strong>${this.optionName(cheapest)}</strong> at ${formatMoney(cheapest.monthly_cost_minor, q.currency)} a month.` : 'No option covers a month.'}
      </p>`;
  }

  private optionName(o: QuoteOption): string {
    if (o.option === 'free') return 'Free credits only';
    if (o.option === 'packs') return 'Credit packs only';
    return `${o.plan_name ?? o.plan_id} plan`;
  }

  private renderOption(o: QuoteOption, currency: string): TemplateResult {
    let buy: TemplateResult;
    if (o.option === 'free') {
      buy = o.covers_month
        ? html`<span class="note">${o.months_covered === null ? 'Nothing needed' : `One-time credits last ${formatTokens(o.months_covered)} ${o.months_covered === 1 ? 'month' : 'months'}`}</span>`
        : html`${amount(o.shortfall_tokens, o.shortfall_credits)}`;
    } else if (o.packs.length > 0) {
      // The mix the core chose, as it lists it: "1 × 500 + 1 × 1,000 credits = $19.50".
      buy = html`${amount(o.shortfall_tokens, o.shortfall_credits)}
        <div class="note" data-testid="pack-mix">buy ${o.packs.map((p, i) => html`${i > 0 ? ' + ' : ''}<span title=${`${p.name ?? p.id}: ${formatMoney(p.price_each_minor, currency)} each`}>${formatTokens(p.count)} × ${formatCreditsCompact(p.credits_each_credits)}</span>`)} credits = ${formatMoney(o.packs_cost_minor, currency)}</div>
        ${o.left_over_tokens > 0 ? html`<div class="note">${formatCredits(o.left_over_credits)} left over (never expire)</div>` : nothing}`;
    } else {
      buy = html`${amount(o.shortfall_tokens, o.shortfall_credits)}`;
    }
    return html`
      <tr class=${o.recommended ? 'recommended' : ''} data-option=${o.key} data-recommended=${String(o.recommended)}>
        <td><span class="option-name">${this.optionName(o)}</span>
          ${o.recommended ? html` <span class="badge accent" data-testid="cheapest-badge">Cheapest</span>` : nothing}
          ${!o.covers_month ? html`<div class="note">does not cover a month</div>` : nothing}</td>
        <td class="num" data-label="Credits needed">${amount(o.needed_tokens, o.needed_credits)}</td>
        <td class="num" data-label="Plan credits included"><div>${o.option === 'plan' ? amount(o.included_tokens, o.included_credits) : o.option === 'free' ? html`${amount(o.included_tokens, o.included_credits)}<div class="note">one time</div>` : html`<span class="faint">—</span>`}</div></td>
        <td class="num" data-label="Shortfall to buy"><div>${buy}</div></td>
        <td class="num" data-label="Expire unused">${amount(o.expiring_unused_tokens, o.expiring_unused_credits)}</td>
        <td class="num cost" data-col="cost" data-label="Monthly cost">${formatMoney(o.monthly_cost_minor, currency)}</td>
      </tr>`;
  }
}

customElements.define('ec-pricing', EcPricing);

declare global {
  interface HTMLElementTagNameMap { 'ec-pricing': EcPricing }
}
