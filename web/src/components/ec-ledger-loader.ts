// "Load your own ledger": a file picker and a drop zone. The file is read in the page and handed
// to the engine; nothing is sent anywhere. A rejected document lists every error the engine gave.
import { LitElement, html, css, nothing } from 'lit';
import type { CreditError } from '../credits';
import { base } from './styles';

export class EcLedgerLoader extends LitElement {
  static properties = {
    errors: { attribute: false },
    rejectedLabel: { type: String, attribute: 'rejected-label' },
    busy: { type: Boolean },
    dragging: { state: true },
  };

  declare errors: CreditError[] | null;
  declare rejectedLabel: string;
  declare busy: boolean;
  declare dragging: boolean;

  constructor() {
    super();
    this.errors = null;
    this.rejectedLabel = '';
    this.busy = false;
    this.dragging = false;
  }

  static styles = [base, css`
    :host { display: block; }
    .drop {
      border: 1.5px dashed var(--border-strong); border-radius: var(--radius-lg); padding: 28px 16px;
      text-align: center; display: flex; flex-direction: column; gap: 10px; align-items: center; background: var(--bg);
    }
    .drop.dragging { border-color: var(--accent); background: var(--accent-soft); }
    .drop p { color: var(--text-muted); }
    #file:focus-visible + label { outline: 2px solid var(--focus); outline-offset: 2px; }
    .errors { margin-top: 16px; }
    .errors table { font-size: 12.5px; }
    .errors td.code { font-family: var(--font-mono); white-space: nowrap; color: var(--danger); }
    .errors td.event { font-family: var(--font-mono); white-space: nowrap; }
    /* A pointer into a large document is long ("/events/99893/provider_usage/usage/…"): it wraps at
       its slashes, so the problem beside it stays readable without scrolling sideways. */
    .errors td.pointer { font-family: var(--font-mono); overflow-wrap: anywhere; min-width: 120px; max-width: 260px; }
    .errors td.message { overflow-wrap: anywhere; min-width: 200px; }
    .errors .table-wrap { border: 1px solid var(--border); border-radius: var(--radius); max-height: 45vh; }
    @media (max-width: 640px) {
      .errors thead { display: none; }
      .errors tr { display: block; padding: 8px 10px; border-bottom: 1px solid var(--border); }
      .errors td { display: block; border: 0; padding: 2px 0; }
      .errors td.pointer, .errors td.event { white-space: normal; overflow-wrap: anywhere; }
      .errors td::before { content: attr(data-label) ": "; color: var(--text-muted); font-family: var(--font-sans); }
    }
  `];

  render() {
    return html`
      <div class=${`drop${this.dragging ? ' dragging' : ''}`} data-testid="drop-zone"
        @dragenter=${this.onDragOver} @dragover=${this.onDragOver} @dragleave=${() => { this.dragging = false; }} @drop=${this.onDrop}>
        <p>Drop a ledger file (<span class="mono">easycoda.ledger/1</span> JSON) here, or</p>
        <input id="file" class="sr-only" type="file" accept=".json,application/json" data-testid="file-input" @change=${this.onPick}>
        <label class="button primary" for="file">Choose a file…</label>
        <p class="small">The file is read and checked in your browser; it is never uploaded.</p>
      </div>
      ${this.busy ? html`<p role="status" class="muted">Reading…</p>` : nothing}
      ${this.errors ? html`
        <div class="errors" role="alert" data-testid="load-errors">
          <div class="callout danger">
            <span class="icon-dot"></span>
            <div><strong>“${this.rejectedLabel}” was not loaded:</strong> the engine found
              ${this.errors.length === 1 ? 'one problem' : `${this.errors.length} problems`}. Nothing from it is shown; fix the document and try again.</div>
          </div>
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Code</th><th scope="col">Event</th><th scope="col">Where</th><th scope="col">Problem</th></tr></thead>
              <tbody>${this.errors.map((e) => html`<tr data-testid="load-error">
                <td class="code" data-label="Code">${e.code}</td>
                <td class="event" data-label="Event">${e.event_id ?? '—'}</td>
                <td class="pointer" data-label="Where">${breakableAt(e.pointer || '(document)', '/')}</td>
                <td class="message" data-label="Problem">${e.message}</td>
              </tr>`)}</tbody>
            </table>
          </div>
        </div>` : nothing}
    `;
  }

  private onDragOver(event: DragEvent): void {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    this.dragging = true;
  }

  private onDrop(event: DragEvent): void {
    event.preventDefault();
    this.dragging = false;
    const file = event.dataTransfer?.files[0];
    if (file) this.emit(file);
  }

  private onPick(event: Event): void {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    if (file) this.emit(file);
    input.value = '';
  }

  private emit(file: File): void {
    this.dispatchEvent(new CustomEvent<File>('ledger-file', { detail: file, bubbles: true, composed: true }));
  }
}

/** The text with a line-break opportunity (<wbr>) before each `separator`: rendered as text, never markup. */
function breakableAt(text: string, separator: string) {
  return text.split(separator).map((part, i) => (i === 0 ? part : html`<wbr>${separator}${part}`));
}

customElements.define('ec-ledger-loader', EcLedgerLoader);

declare global {
  interface HTMLElementTagNameMap { 'ec-ledger-loader': EcLedgerLoader }
}
