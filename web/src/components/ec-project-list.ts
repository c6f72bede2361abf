// The project list: one row per project of the ledger, with its credit usage and a
// "More actions" menu whose "Settings" item opens the project detail page.
import { LitElement, html, css, type TemplateResult } from 'lit';
import type { LedgerSession } from '../credits';
import { formatTokens } from '../format';
import { amount, guard } from '../describe';
import { base } from './styles';
import { SessionWatch } from '../session-watch';
import './ec-menu';

export class EcProjectList extends LitElement {
  static properties = {
    session: { attribute: false },
    at: { type: String },
  };

  declare session: LedgerSession | null;
  declare at: string;

  // Answers from the worker (a large ledger) re-render the element when they arrive.
  protected readonly answers = new SessionWatch(this, () => this.session);

  constructor() {
    super();
    this.session = null;
    this.at = '';
  }

  static styles = [base, css`
    :host { display: block; }
    .name { font-weight: 500; overflow-wrap: anywhere; }
    .name a { color: var(--text); }
    td.actions { width: 48px; text-align: right; padding-top: 4px; padding-bottom: 4px; vertical-align: middle; }
    td { vertical-align: middle; }
    .dots { font-size: 18px; line-height: 1; letter-spacing: 1px; }
    @media (max-width: 640px) {
      .hide-narrow { display: none; }
      th, td { padding: 8px 8px; }
    }
  `];

  render() {
    return guard(() => this.renderList());
  }

  private renderList(): TemplateResult {
    const session = this.session;
    if (!session) return html`<p class="empty">No account loaded.</p>`;
    const report = session.account({ at: this.at });
    if (report.projects.length === 0) return html`<div class="card"><p class="empty">This account has no projects.</p></div>`;
    return html`
      <div class="card">
        <div class="table-wrap">
          <table data-testid="project-list">
            <caption class="sr-only">Projects and their credit usage since the account was opened</caption>
            <thead><tr>
              <th scope="col">Project</th>
              <th scope="col" class="num">Charged</th>
              <th scope="col" class="num hide-narrow">Free</th>
              <th scope="col" class="num hide-narrow">Total tokens</th>
              <th scope="col"><span class="sr-only">Actions</span></th>
            </tr></thead>
            <tbody>
              ${report.projects.map((p) => {
                const settings = `#/projects/${encodeURIComponent(p.id)}/settings`;
                return html`<tr data-project=${p.id}>
                  <td><div class="name"><a href=${settings}>${p.name}</a></div><div class="faint small mono">${p.id}</div></td>
                  <td class="num" data-col="charged">${amount(p.charged_tokens, p.charged_credits)}</td>
                  <td class="num hide-narrow" data-col="free">${amount(p.free_tokens, p.free_credits)}</td>
                  <td class="num hide-narrow" data-col="total">${formatTokens(p.total_tokens)}</td>
                  <td class="actions">
                    <ec-menu label=${`More actions for ${p.name}`} data-testid="more-actions"
                      .items=${[
                        { value: 'settings', label: 'Settings', href: settings, testId: 'menu-settings' },
                        { value: 'copy', label: 'Copy project ID', testId: 'menu-copy' },
                      ]}
                      @select=${(e: CustomEvent<string>) => { if (e.detail === 'copy') void navigator.clipboard?.writeText(p.id).catch(() => undefined); }}
                    ><span class="dots" aria-hidden="true">⋯</span></ec-menu>
                  </td>
                </tr>`;
              })}
            </tbody>
          </table>
        </div>
      </div>
      <p class="faint small">Credits in the account's lifetime up to the report instant. Hover an amount for its tokens.</p>
    `;
  }
}

customElements.define('ec-project-list', EcProjectList);

declare global {
  interface HTMLElementTagNameMap { 'ec-project-list': EcProjectList }
}
