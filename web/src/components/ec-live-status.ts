// The live account's link to credits-server, as a person sees it: a quiet "matches the server" mark
// while all is well; a banner when the server cannot be reached (the figures kept, marked stale),
// when a sign-in is needed, or while the ledger is fetched again; a mismatch panel showing both
// balances when the page's report and the server's differ; and the notices of live updates.
import { LitElement, html, css, nothing, type TemplateResult } from 'lit';
import type { Check, LiveLink } from '../live';
import { formatCredits, formatDateTime } from '../format';
import { base } from './styles';

export class EcLiveStatus extends LitElement {
  static properties = {
    link: { attribute: false },
    offset: {},
    tick: { type: Number },
    compact: { type: Boolean },
    copied: { state: true },
    details: { state: true },
  };

  declare link: LiveLink | null;
  declare offset: string;
  declare tick: number;
  /** The cross-check mark only (the Usage popup's head): the banners and notices are on the page. */
  declare compact: boolean;
  declare copied: boolean;
  /** The mismatch's details, shown to select by hand when the clipboard refuses them. */
  declare details: string;

  constructor() {
    super();
    this.link = null;
    this.offset = '+00:00';
    this.tick = 0;
    this.compact = false;
    this.copied = false;
    this.details = '';
  }

  static styles = [base, css`
    :host { display: block; }
    .bar { display: flex; flex-direction: column; gap: 8px; margin-bottom: 12px; }
    .bar:empty { display: none; }
    .mark { display: inline-flex; align-items: center; gap: 6px; font-size: 12px; color: var(--text-muted); }
    .mark .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--text-faint); flex: none; }
    .mark.match .dot { background: var(--success); }
    .mark.checking .dot { background: var(--accent); }
    .mark.mismatch { color: var(--danger); }
    .mark.mismatch .dot { background: var(--danger); }
    .callout > div { min-width: 0; overflow-wrap: anywhere; }
    .callout-title { font-weight: 600; display: block; }
    .both { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0; font-variant-numeric: tabular-nums; }
    .actions { display: flex; gap: 8px; flex-wrap: wrap; margin-top: 6px; }
    .alerts { display: flex; flex-direction: column; gap: 6px; }
    .alert-row { display: flex; gap: 12px; align-items: center; justify-content: space-between; }
    code { font-family: var(--font-mono); font-size: 12px; }
    textarea.details { display: block; width: 100%; margin-top: 4px; font-family: var(--font-mono); font-size: 12px; }
  `];

  render() {
    const link = this.link;
    if (!link) return nothing;
    if (this.compact) return link.check.kind === 'mismatch' ? html`<span class="mark mismatch" data-testid="check-mark-compact">
      <span class="dot" aria-hidden="true"></span>Differs from the server: see the page</span>` : this.checkView(link.check, link.stale);
    return html`<div class="bar" data-testid="live-status" data-state=${link.state} data-stale=${String(link.stale)}
        data-check=${link.check.kind}>${this.banner(link)}${this.checkView(link.check, link.stale)}${this.alerts(link)}</div>`;
  }

  private banner(link: LiveLink): TemplateResult | typeof nothing {
    if (link.state === 'offline') {
      const seconds = Math.max(0, Math.ceil((link.retryAtMs - Date.now()) / 1000));
      return html`<div class="callout warning" role="alert" data-testid="live-offline">
        <span class="icon-dot"></span>
        <div><span class="callout-title">The server cannot be reached.</span>
          ${link.stale ? html`The figures below are the last ones received${link.lastContactMs ? html` (${formatDateTime(new Date(link.lastContactMs).toISOString(), this.offset)})` : nothing}
            and may be out of date.` : nothing}
          ${seconds > 0 ? `Trying again in ${seconds} s.` : 'Trying again…'}</div>
      </div>`;
    }
    if (link.state === 'no-account') {
      const seconds = Math.max(0, Math.ceil((link.retryAtMs - Date.now()) / 1000));
      return html`<div class="callout warning" role="alert" data-testid="live-no-account">
        <span class="icon-dot"></span>
        <div><span class="callout-title">The server has no account “${link.config.accountId}” that this page may read.</span>
          It may not have received its first events yet, or the link is for another account.
          ${seconds > 0 ? `Trying again in ${seconds} s.` : 'Trying again…'}</div>
      </div>`;
    }
    if (link.state === 'unauthorized') {
      return html`<div class="callout danger" role="alert" data-testid="live-unauthorized">
        <span class="icon-dot"></span>
        <div><span class="callout-title">Sign-in needed.</span>
          The server did not accept this page's access token (it may have expired or been revoked). Open the
          console again from the link you were given, or ask for a new one.</div>
      </div>`;
    }
    if (link.state === 'reloading') {
      return html`<div class="callout info" role="status" data-testid="live-reloading">
        <span class="icon-dot"></span>
        <div><span class="callout-title">Reloading the account from the server…</span>
          An update did not fit the ledger this page holds, so the whole ledger is being fetched again. The figures below are the previous ones.</div>
      </div>`;
    }
    return nothing;
  }

  private checkView(check: Check, stale: boolean): TemplateResult | typeof nothing {
    if (stale && check.kind !== 'mismatch' && check.kind !== 'none') {
      return html`<span class="mark" role="status" data-testid="check-mark"><span class="dot" aria-hidden="true"></span>
        Not checked with the server since it became unreachable</span>`;
    }
    switch (check.kind) {
      case 'none': return nothing;
      case 'checking':
        return html`<span class="mark checking" role="status" data-testid="check-mark"><span class="dot" aria-hidden="true"></span>Checking with the server…</span>`;
      case 'match':
        return html`<span class="mark match" role="status" data-testid="check-mark" title=${`Digest ${check.digest}`}>
          <span class="dot" aria-hidden="true"></span>Matches the server (as of ${formatDateTime(check.at, this.offset)})</span>`;
      case 'unavailable':
        return html`<span class="mark" role="status" data-testid="check-mark">
          <span class="dot" aria-hidden="true"></span>Not checked with the server: ${check.reason}</span>`;
      case 'mismatch':
        return html`<div class="callout danger" role="alert" data-testid="check-mismatch">
          <span class="icon-dot"></span>
          <div><span class="callout-title">These figures differ from the server's.</span>
            The console computes the account in this page with the same credit engine as the server; for the same instant
            (${formatDateTime(check.at, this.offset)}) the two reports should be identical, byte for byte, and they are not.
            Neither is shown as the right one. Please report this with the details below.
            <div class="both">
              <span>This page's balance</span><strong data-testid="mismatch-console">${formatCredits(check.consoleBalance)} credits</strong>
              <span>The server's balance</span><strong data-testid="mismatch-server">${/^-?\d+(\.\d+)?$/.test(check.serverBalance) ? formatCredits(check.serverBalance) : check.serverBalance} credits</strong>
              <span>Digests</span><code>${check.consoleDigest} / ${check.serverDigest}</code>
            </div>
            <div class="actions"><button data-testid="copy-details" @click=${() => this.copy(check)}>${this.copied ? 'Copied' : 'Copy details'}</button></div>
            ${this.details ? html`<label class="small">Details to report
              <textarea readonly rows="8" class="details" data-testid="mismatch-details" .value=${this.details}></textarea></label>` : nothing}
          </div>
        </div>`;
    }
  }

  private alerts(link: LiveLink): TemplateResult {
    // Always in the page, so a screen reader hears each notice as it is added (aria-live).
    return html`<div class="alerts" aria-live="polite" data-testid="live-alerts">
      ${link.alerts.map((alert) => html`<div class="callout warning alert-row" data-testid=${`alert-${alert.kind}`}>
        <span>${alert.text}</span>
        <button class="ghost" aria-label=${`Dismiss: ${alert.text}`} @click=${() => link.dismissAlert(alert.id)}>Dismiss</button>
      </div>`)}
    </div>`;
  }

  private async copy(check: Check & { kind: 'mismatch' }): Promise<void> {
    const details = JSON.stringify({ problem: 'console report differs from the server report', account: this.link?.config.accountId,
      at: check.at, console_balance_credits: check.consoleBalance, server_balance_credits: check.serverBalance,
      console_digest: check.consoleDigest, server_digest: check.serverDigest, page: location.origin }, null, 2);
    try {
      await navigator.clipboard.writeText(details);
      this.copied = true;
    } catch {
      // No clipboard (permission refused): the details are shown, to select and copy by hand.
      this.copied = false;
      this.details = details;
    }
  }
}

customElements.define('ec-live-status', EcLiveStatus);

declare global {
  interface HTMLElementTagNameMap { 'ec-live-status': EcLiveStatus }
}
