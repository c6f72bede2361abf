// The demo console shell: a sidebar (navigation, the account avatar at the bottom left whose menu
// opens the Usage panel), the project list, the project detail page and the Pricing page.
import { LitElement, html, css, nothing, type TemplateResult } from 'lit';
import { ConsoleStore, WORKER_BYTES_MIN } from '../store';
import { formatDateTime, formatMegabytes, offsetLabel, wallClock } from '../format';
import { base } from './styles';
import './ec-menu';
import './ec-usage-panel';
import './ec-project-list';
import './ec-project-detail';
import './ec-pricing';
import './ec-ledger-loader';
import './ec-live-status';

type Route = { page: 'projects' } | { page: 'project'; id: string } | { page: 'pricing' };

function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const m = /^\/projects\/([^/]+)\/settings$/.exec(path);
  if (m) {
    try {
      return { page: 'project', id: decodeURIComponent(m[1]) };
    } catch {
      return { page: 'projects' };
    }
  }
  if (path === '/pricing') return { page: 'pricing' };
  return { page: 'projects' };
}

export class EcConsole extends LitElement {
  static properties = {
    route: { state: true },
    usageOpen: { state: true },
    loaderOpen: { state: true },
    tick: { state: true },
  };

  declare route: Route;
  declare usageOpen: boolean;
  declare loaderOpen: boolean;
  declare tick: number;
  readonly store = new ConsoleStore();
  private onHash = () => {
    this.route = parseRoute(location.hash);
    this.usageOpen = false;
    window.scrollTo(0, 0);
  };

  constructor() {
    super();
    this.route = parseRoute(location.hash);
    this.usageOpen = false;
    this.loaderOpen = false;
    this.tick = 0;
    this.store.addEventListener('change', () => { this.tick++; });
  }

  static styles = [base, css`
    :host { display: block; min-height: 100vh; }
    .loading { min-height: 100vh; display: grid; place-items: center; text-align: center; padding: 24px; }
    .spinner {
      width: 28px; height: 28px; border-radius: 50%; border: 3px solid var(--border); border-top-color: var(--accent);
      margin: 0 auto 12px; animation: spin 0.8s linear infinite;
    }
    @keyframes spin { to { transform: rotate(360deg); } }
    @media (prefers-reduced-motion: reduce) { .spinner { animation: none; } }
    .live-start { max-width: 560px; width: 100%; text-align: left; }

    .layout { display: grid; grid-template-columns: 232px minmax(0, 1fr); min-height: 100vh; }
    /* The column carries the sidebar's background and border: a grid item stretches to the row,
       i.e. the page's full height however long the page is, while the navigation inside it stays
       in view (sticky, one screen high). On the navigation itself the background stopped at 100vh. */
    .sidebar-column { background: var(--bg-sidebar); border-right: 1px solid var(--border); min-width: 0; }
    nav.sidebar {
      position: sticky; top: 0; height: 100vh; height: 100dvh; display: flex; flex-direction: column; gap: 4px;
      padding: 14px 10px;
    }
    .brand { display: flex; align-items: center; gap: 8px; padding: 4px 8px 14px; font-weight: 650; letter-spacing: -0.01em; }
    .logo {
      width: 22px; height: 22px; border-radius: 6px; background: var(--accent); color: var(--on-accent);
      display: grid; place-items: center; font-size: 12px; font-weight: 700;
    }
    .nav-link {
      display: flex; align-items: center; gap: 10px; padding: 7px 10px; border-radius: 6px; color: var(--text-muted);
      font-weight: 500;
    }
    .nav-link:hover { background: var(--surface-hover); color: var(--text); text-decoration: none; }
    .nav-link[aria-current="page"] { background: var(--surface); color: var(--text); box-shadow: var(--shadow); }
    .nav-spacer { flex: 1; }
    .account { display: flex; align-items: center; padding: 6px 0 0; border-top: 1px solid var(--border); }
    /* The whole account row is the menu button: its name is the avatar's account, as shown. */
    ec-menu.avatar-menu { flex: 1; min-width: 0; display: block; }
    ec-menu.avatar-menu::part(trigger) {
      width: 100%; justify-content: flex-start; gap: 10px; padding: 4px 6px; min-height: 44px; text-align: left; color: var(--text);
    }
    .avatar {
      flex: none; width: 32px; height: 32px; border-radius: 50%; background: linear-gradient(135deg, #6366f1, #ec4899);
      color: #fff; display: grid; place-items: center; font-size: 12px; font-weight: 700; text-transform: uppercase;
    }
    .account-text { min-width: 0; line-height: 1.3; display: flex; flex-direction: column; }
    .account-text .id { font-weight: 600; font-size: 13px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .account-text .kind { font-size: 12px; font-weight: 400; color: var(--text-muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }

    main { padding: 28px 32px 48px; max-width: 1120px; width: 100%; }
    .page-head { display: flex; align-items: flex-start; gap: 12px 16px; flex-wrap: wrap; margin-bottom: 20px; }
    .page-head .titles { flex: 1; min-width: 220px; }
    .page-head p { color: var(--text-muted); margin-top: 2px; }
    .asof { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; font-size: 12px; color: var(--text-muted); }
    .asof input { font-size: 12px; min-height: 28px; padding: 2px 6px; }
    .data-chip { display: inline-flex; gap: 6px; align-items: center; }
    .asof-bar { display: flex; justify-content: flex-end; margin-bottom: 4px; }

    .load-progress {
      position: sticky; top: 0; z-index: 5; display: flex; align-items: center; gap: 8px 14px; flex-wrap: wrap;
      margin: -8px 0 16px; padding: 10px 14px; border: 1px solid var(--info-border); border-radius: var(--radius);
      background: var(--info-soft); box-shadow: var(--shadow);
    }
    .load-text { display: flex; flex-direction: column; min-width: 0; flex: 1 1 220px; overflow-wrap: anywhere; }
    .load-text .muted { font-size: 12px; }
    .load-progress progress { flex: 1 1 160px; height: 8px; accent-color: var(--accent); }

    dialog {
      padding: 0; border: 1px solid var(--border); border-radius: 14px; background: var(--surface); color: var(--text);
      box-shadow: var(--shadow-pop); width: min(1000px, calc(100vw - 48px)); max-height: calc(100vh - 48px);
    }
    dialog.narrow { width: min(760px, calc(100vw - 48px)); }
    dialog::backdrop { background: var(--backdrop); }
    .dialog-head {
      position: sticky; top: 0; z-index: 2; display: flex; align-items: center; gap: 12px; padding: 14px 16px 12px 20px;
      background: var(--surface); border-bottom: 1px solid var(--border);
    }
    .dialog-head .titles { flex: 1; min-width: 0; }
    .dialog-head p { font-size: 12px; color: var(--text-muted); overflow-wrap: anywhere; }
    .dialog-body { padding: 20px; }
    .dialog-body.flush { padding: 0; }
    .close { font-size: 18px; line-height: 1; color: var(--text-muted); }

    @media (max-width: 720px) {
      .layout { grid-template-columns: minmax(0, 1fr); padding-bottom: 64px; }
      .sidebar-column { display: contents; }
      nav.sidebar {
        position: fixed; top: auto; bottom: 0; left: 0; right: 0; height: 60px; z-index: 50; flex-direction: row;
        align-items: center; padding: 6px 10px; border-top: 1px solid var(--border); gap: 4px;
        background: var(--bg-sidebar);
      }
      .brand, .nav-spacer { display: none; }
      .account { order: -1; border-top: 0; padding: 0 8px 0 0; margin-right: 4px; border-right: 1px solid var(--border); }
      ec-menu.avatar-menu { flex: none; }
      ec-menu.avatar-menu::part(trigger) { width: 44px; padding: 0; justify-content: center; }
      /* Still the button's name (read out), only not drawn: there is room for the avatar alone. */
      .account-text { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
      .nav-link { flex: 1; justify-content: center; }
      main { padding: 18px 14px 32px; }
      .asof .load-button { display: none; }
      .asof label { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
      .asof-bar { justify-content: flex-start; }
      .asof input { flex: 1; min-width: 0; }
      dialog, dialog.narrow {
        width: 100vw; max-width: 100vw; height: 100dvh; max-height: 100dvh; margin: 0; border-radius: 0; border: 0;
      }
      .dialog-body { padding: 16px; }
    }
  `];

  connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHash);
    const at = new URLSearchParams(location.search).get('at');
    void this.store.start(at && !Number.isNaN(Date.parse(at)) ? at : null);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.onHash);
  }

  protected updated(): void {
    this.syncDialog('#usage-dialog', this.usageOpen);
    this.syncDialog('#loader-dialog', this.loaderOpen);
    document.documentElement.dataset.consoleState = this.store.status;
  }

  private syncDialog(selector: string, open: boolean): void {
    const dialog = this.renderRoot.querySelector<HTMLDialogElement>(selector);
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }

  render() {
    const store = this.store;
    if (store.status === 'starting' && store.live && store.live.state !== 'connecting') {
      // The live account is not shown until its ledger is loaded whole: say why it is not yet.
      return html`<div class="loading" data-testid="loading"><div class="live-start">
        <ec-live-status .link=${store.live} offset="+00:00" tick=${this.tick}></ec-live-status></div></div>`;
    }
    if (store.status === 'starting') {
      return html`<div class="loading" role="status" aria-live="polite" aria-busy="true" data-testid="loading">
        <div><div class="spinner" aria-hidden="true"></div><div>Starting the credit engine…</div>
        <div class="faint small">Loading the WebAssembly module and the demo account.</div></div></div>`;
    }
    if (store.status === 'failed' || !store.session) {
      return html`<div class="loading" role="alert"><div><h1>The console could not start</h1>
        <p class="muted">${store.failure}</p></div></div>`;
    }
    const session = store.session;
    return html`
      <div class="layout" data-at=${store.at} data-account=${session.accountId}>
        ${this.renderSidebar()}
        <main id="main">${this.renderLive()}${this.renderLoading()}${this.renderPage()}</main>
      </div>
      ${this.renderUsageDialog()}
      ${this.renderLoaderDialog()}
    `;
  }

  private renderSidebar(): TemplateResult {
    const session = this.store.session!;
    const page = this.route.page;
    const initials = session.accountId.replace(/^acct_/, '').slice(0, 2) || 'EC';
    return html`
      <div class="sidebar-column" data-testid="sidebar-column"><nav class="sidebar" aria-label="Console">
        <div class="brand"><span class="logo" aria-hidden="true">E</span>EasyCoda</div>
        <a class="nav-link" href="#/projects" aria-current=${page !== 'pricing' ? 'page' : 'false'} data-testid="nav-projects">Projects</a>
        <a class="nav-link" href="#/pricing" aria-current=${page === 'pricing' ? 'page' : 'false'} data-testid="nav-pricing">Pricing</a>
        <div class="nav-spacer"></div>
        <div class="account">
          <ec-menu class="avatar-menu" placement="up-start" trigger-class="ghost" label="Account menu" name-from-content data-testid="avatar"
            .items=${[
              { value: 'usage', label: 'Usage', testId: 'menu-usage' },
              { value: 'load', label: 'Load a ledger…', testId: 'menu-load' },
              ...(session === this.store.home ? [] : [{ value: 'demo', label: this.store.liveSession ? 'Back to the live account' : 'Back to the demo account', testId: 'menu-demo' }]),
            ]}
            @select=${this.onAccountMenu}><span class="avatar" aria-hidden="true">${initials}</span><span class="account-text"><span class="id">${session.accountId}</span>
            <span class="kind">${session.isDemo ? 'Demo account' : session === this.store.liveSession ? 'Live from the server' : session.label}</span></span></ec-menu>
        </div>
      </nav></div>`;
  }

  private onAccountMenu = (event: CustomEvent<string>): void => {
    if (event.detail === 'usage') this.usageOpen = true;
    if (event.detail === 'load') this.loaderOpen = true;
    if (event.detail === 'demo') this.store.resetToDemo();
  };

  /** The live account's link to the server (banner, cross-check mark, notices); only while it is shown. */
  private renderLive() {
    const store = this.store;
    if (!store.live || store.session !== store.liveSession) return nothing;
    return html`<ec-live-status .link=${store.live} offset=${store.session!.utcOffset} tick=${this.tick}></ec-live-status>`;
  }

  /** A large file on its way to the worker: the page stays usable, the current account shown. */
  private renderLoading() {
    const loading = this.store.loading;
    if (!loading) return nothing;
    const reading = loading.phase === 'reading';
    const total = formatMegabytes(loading.bytesTotal);
    return html`<div class="load-progress" role="status" data-testid="load-progress" data-phase=${loading.phase}>
      <div class="load-text">
        <strong>Loading “${loading.label}”</strong>
        <span class="muted">${reading
          ? `reading ${formatMegabytes(loading.bytesRead)} of ${total}`
          : `checking ${total} in the background; you can keep working`}</span>
      </div>
      ${reading
        ? html`<progress max=${loading.bytesTotal} .value=${loading.bytesRead} aria-label=${`Reading ${loading.label}`}></progress>`
        : html`<progress aria-label=${`Checking ${loading.label}`}></progress>`}
      <button class="ghost" data-testid="cancel-load" @click=${() => this.store.cancelLoading()}>Cancel</button>
    </div>`;
  }

  private renderPage(): TemplateResult {
    const store = this.store;
    const session = store.session!;
    const route = this.route;
    if (route.page === 'pricing') {
      return html`${this.pageHead('Pricing', 'Plans, credit packs, and what your usage would cost.')}
        <ec-pricing .engine=${store.engine} .session=${session} at=${store.at}></ec-pricing>`;
    }
    if (route.page === 'project') {
      return html`<div class="asof-bar">${this.asOfLine()}</div><ec-project-detail .session=${session} at=${store.at} project-id=${route.id}></ec-project-detail>`;
    }
    return html`${this.pageHead('Projects', 'Every project of the account and the credits it used.')}
      <ec-project-list .session=${session} at=${store.at}></ec-project-list>`;
  }

  private pageHead(title: string, subtitle: string): TemplateResult {
    return html`<div class="page-head">
      <div class="titles"><h1>${title}</h1><p>${subtitle}</p></div>
      ${this.asOfLine()}
    </div>`;
  }

  private asOfLine(): TemplateResult {
    const store = this.store;
    const session = store.session!;
    const offset = session.utcOffset;
    const local = wallClock(store.at, offset);
    return html`<div class="asof">
      <span class="data-chip">${this.dataChip()}</span>
      <label for="asof">As of</label>
      <input id="asof" type="datetime-local" step="1" .value=${local} data-testid="asof" @change=${this.onAsOf}
        aria-describedby="asof-zone" title=${formatDateTime(store.at, offset)}>
      <span id="asof-zone">${offsetLabel(offset)}</span>
      ${store.live && session === store.liveSession && store.pinnedAt
        ? html`<button class="ghost" data-testid="follow-now" @click=${() => store.followNow()}>Now</button>` : nothing}
      <button class="ghost load-button" @click=${() => { this.loaderOpen = true; }} data-testid="open-loader">Load ledger…</button>
    </div>`;
  }

  private dataChip(): TemplateResult {
    const store = this.store;
    const session = store.session!;
    if (session.isDemo) return html`<span class="badge accent">Demo data</span>`;
    if (session !== store.liveSession) return html`<span class="badge">${session.label}</span>`;
    if (store.live?.stale) return html`<span class="badge warning" data-testid="live-badge">Stale</span>`;
    return html`<span class="badge success" data-testid="live-badge">${store.pinnedAt ? 'Live account' : 'Live'}</span>`;
  }

  private onAsOf(event: Event): void {
    const value = (event.target as HTMLInputElement).value;
    const session = this.store.session;
    if (!value || !session) return;
    const seconds = value.length === 16 ? `${value}:00` : value;
    // The wall clock read in the account's offset: an RFC 3339 instant that Date.parse reads as is.
    const ms = Date.parse(`${seconds}${session.utcOffset}`);
    if (Number.isNaN(ms) || ms < Date.parse(session.ledger.openedAt)) return;
    this.store.setAt(new Date(ms).toISOString().replace('.000Z', 'Z'));
  }

  private renderUsageDialog(): TemplateResult {
    const store = this.store;
    const session = store.session!;
    return html`
      <dialog id="usage-dialog" aria-labelledby="usage-title" aria-describedby="usage-sub" data-testid="usage-dialog"
        @close=${this.onUsageClosed} @request-close=${() => { this.usageOpen = false; }}>
        <div class="dialog-head">
          <div class="titles"><h2 id="usage-title">Usage</h2>
            <p id="usage-sub">${session.accountId} · as of ${formatDateTime(store.at, session.utcOffset)} (${offsetLabel(session.utcOffset)})</p>
            ${store.live && session === store.liveSession
              ? html`<ec-live-status compact .link=${store.live} offset=${session.utcOffset} tick=${this.tick}></ec-live-status>` : nothing}</div>
          <button class="ghost icon close" aria-label="Close" data-testid="close-usage" @click=${() => { this.usageOpen = false; }}>✕</button>
        </div>
        <div class="dialog-body flush">
          ${this.usageOpen ? html`<ec-usage-panel .session=${session} at=${store.at}></ec-usage-panel>` : nothing}
        </div>
      </dialog>`;
  }

  private onUsageClosed = (): void => {
    this.usageOpen = false;
    this.focusAvatar();
  };

  private focusAvatar(): void {
    const menu = this.renderRoot.querySelector('ec-menu.avatar-menu');
    (menu?.shadowRoot?.querySelector('button') as HTMLButtonElement | null)?.focus();
  }

  private renderLoaderDialog(): TemplateResult {
    const rejection = this.store.rejection;
    return html`
      <dialog id="loader-dialog" class="narrow" aria-labelledby="loader-title" data-testid="loader-dialog"
        @close=${this.onLoaderClosed} @ledger-file=${this.onLedgerFile}>
        <div class="dialog-head">
          <div class="titles"><h2 id="loader-title">Load your own ledger</h2>
            <p>See your own account in this console. Processed entirely in your browser: the file is never uploaded.</p></div>
          <button class="ghost icon close" aria-label="Close" @click=${() => { this.loaderOpen = false; }}>✕</button>
        </div>
        <div class="dialog-body">
          <ec-ledger-loader .errors=${rejection?.errors ?? null} rejected-label=${rejection?.label ?? ''}></ec-ledger-loader>
        </div>
      </dialog>`;
  }

  private onLoaderClosed = (): void => {
    this.loaderOpen = false;
    if (this.store.rejection) this.store.dismissRejection();
  };

  private onLedgerFile = async (event: CustomEvent<File>): Promise<void> => {
    const file = event.detail;
    // A large file loads in the background: the dialog closes at once and a progress bar shows
    // on the page, which stays usable; the dialog comes back only to show why a file was refused.
    const background = file.size >= WORKER_BYTES_MIN;
    if (background) this.loaderOpen = false;
    const ok = await this.store.loadFile(file);
    if (ok) {
      this.loaderOpen = false;
      if (this.route.page === 'project') location.hash = '#/projects';
    } else if (background && this.store.rejection) {
      this.loaderOpen = true;
    }
  };
}

customElements.define('ec-console', EcConsole);

declare global {
  interface HTMLElementTagNameMap { 'ec-console': EcConsole }
}
