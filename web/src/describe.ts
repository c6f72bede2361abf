// Words for report entries: how a grant is named and how a charge is explained. These only
// rephrase what the report says (amounts, allocations); they decide nothing.
import { html, type TemplateResult } from 'lit';
import { PendingAnswer, type AccountReport, type ChargeEntry, type Grant, type LedgerEntry } from './credits';
import {
  formatCredits, formatCreditsFixed, formatDate, formatMonth, formatMonthYear, formatShortDate, formatTokens, groupDecimals,
  SOURCE_LABELS,
} from './format';

/**
 * An amount in credits, with its tokens on hover and in a data attribute for tests. `decimals`
 * (from groupDecimals) shows it with as many decimals as the other amounts of its group.
 */
export function amount(tokens: number, credits: string, unit = false, decimals?: number): TemplateResult {
  // Digits a column needs to line up on the decimal point (drawn invisibly by CSS, never as text).
  const shown = decimals ?? groupDecimals([credits]);
  const text = decimals === undefined ? formatCredits(credits) : formatCreditsFixed(credits, decimals);
  return html`<span class="amount" data-tokens=${String(tokens)} data-pad=${'0'.repeat(Math.max(0, 4 - shown))}
    title=${`${formatTokens(tokens)} tokens`}>${text}${unit ? ' credits' : ''}</span>`;
}

export interface GrantIndex {
  byId: Map<string, Grant>;
  planNames: Map<string, string>;
  offset: string;
}

export function grantIndex(report: AccountReport, planNames: Map<string, string>): GrantIndex {
  return { byId: new Map(report.grants.map((g) => [g.id, g])), planNames, offset: report.utc_offset };
}

/** "Standard · Nov 2026", "Free signup", "Promotion · Black Friday bonus credits". */
export function grantLabel(grant: Grant, index: GrantIndex): string {
  switch (grant.source) {
    case 'plan': {
      const name = (grant.plan && index.planNames.get(grant.plan)) || grant.plan || 'Plan';
      return `${name} · ${formatMonthYear(grant.period_start ?? grant.granted_at, index.offset)}`;
    }
    case 'promotion':
      return grant.reason ? `Promotion · ${grant.reason}` : `Promotion · ${formatDate(grant.granted_at, index.offset)}`;
    case 'purchase':
      return `Purchased · ${formatDate(grant.granted_at, index.offset)}`;
    default:
      return SOURCE_LABELS.signup;
  }
}

/** A compact name for allocations: "Plan Nov", "Signup", "Promotion Nov 27", "Purchase Sep 10". */
export function grantShortLabel(grantId: string, index: GrantIndex): string {
  const grant = index.byId.get(grantId);
  if (!grant) return grantId;
  switch (grant.source) {
    case 'plan': return `Plan ${formatMonth(grant.period_start ?? grant.granted_at, index.offset)}`;
    case 'promotion': return `Promotion ${formatShortDate(grant.granted_at, index.offset)}`;
    case 'purchase': return `Purchase ${formatShortDate(grant.granted_at, index.offset)}`;
    default: return 'Signup';
  }
}

/** "1,200 output + 3,000 cache-miss input = 4,200 tokens = 0.42 credits" */
export function chargeEquation(entry: ChargeEntry): string {
  return `${formatTokens(entry.output_tokens)} output + ${formatTokens(entry.input_cache_miss_tokens)} cache-miss input`
    + ` = ${formatTokens(entry.charged_tokens)} tokens = ${formatCredits(entry.charged_credits)} credits`;
}

/** "paid from: Plan Sept 0.30, Signup 0.12" (and the overdraft when some was not covered). */
export function chargePaidFrom(entry: ChargeEntry, index: GrantIndex): string {
  const parts = entry.allocations.map((a) => `${grantShortLabel(a.grant_id, index)} ${formatCredits(a.credits)}`);
  if (entry.overdraft_tokens > 0) parts.push(`overdraft ${formatCredits(entry.overdraft_credits)}`);
  if (parts.length === 0) return 'nothing to pay';
  return `paid from: ${parts.join(', ')}`;
}

/** One sentence for any ledger entry. */
export function ledgerSentence(entry: LedgerEntry, index: GrantIndex): string {
  switch (entry.kind) {
    case 'charge':
      return `${chargeEquation(entry)}, ${chargePaidFrom(entry, index)}`;
    case 'grant': {
      const grant = index.byId.get(entry.grant_id);
      return `${grant ? grantLabel(grant, index) : entry.grant_id}: +${formatCredits(entry.credits)} credits`;
    }
    case 'repayment':
      return `${grantShortLabel(entry.grant_id, index)} paid back ${formatCredits(entry.credits)} credits of overdraft`;
    case 'expiry':
      return `${grantShortLabel(entry.grant_id, index)}: ${formatCredits(entry.credits)} unused credits expired`;
    case 'billing_failed':
      return `Billing for the ${index.planNames.get(entry.plan) ?? entry.plan} plan failed: no credits were granted`;
    case 'opening':
      return entry.grant_id === null
        ? `Carried over from earlier history: ${formatCredits(entry.overdraft_credits)} credits of overdraft`
        : `${grantShortLabel(entry.grant_id, index)}: ${formatCredits(entry.credits)} credits carried over from earlier history`;
  }
}

export const ENTRY_KIND_LABELS: Record<LedgerEntry['kind'], string> = {
  charge: 'Charge',
  grant: 'Grant',
  repayment: 'Repayment',
  expiry: 'Expiry',
  billing_failed: 'Billing failed',
  opening: 'Carried over',
};

/**
 * Renders `view`, or a short explanation when the engine refused the question (for example an
 * instant before the account was opened), so one bad question never blanks the console.
 */
export function guard(view: () => TemplateResult): TemplateResult {
  try {
    return view();
  } catch (error) {
    // A large ledger answers from the worker: its answer arrives shortly and the view renders again.
    if (error instanceof PendingAnswer) {
      return html`<p class="empty" role="status" aria-busy="true" data-testid="computing">Computing in the background…</p>`;
    }
    const errors = error && typeof error === 'object' && Array.isArray((error as { errors?: unknown }).errors)
      ? (error as { errors: { code: string; message: string }[] }).errors : null;
    if (!errors) throw error;
    return html`<div class="callout danger" role="alert"><span class="icon-dot"></span>
      <div><strong>The engine could not answer.</strong> ${errors.map((e) => html`<div><span class="mono">${e.code}</span>: ${e.message}</div>`)}</div></div>`;
  }
}
