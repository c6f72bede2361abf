// A menu button (WAI-ARIA menu button pattern): the trigger is slotted, the menu is drawn with
// fixed positioning so a scrolling table or a dialog never clips it. Keyboard: Enter/Space/
// ArrowDown open, arrows move, Home/End jump, Escape closes and returns focus to the trigger.
import { LitElement, html, css, nothing } from 'lit';
import { base } from './styles';

export interface MenuItem { value: string; label: string; href?: string; testId?: string }

let menuCount = 0;

export class EcMenu extends LitElement {
  static properties = {
    items: { attribute: false },
    label: { type: String },
    placement: { type: String },
    triggerClass: { type: String, attribute: 'trigger-class' },
    nameFromContent: { type: Boolean, attribute: 'name-from-content' },
    open: { state: true },
  };

  declare items: MenuItem[];
  declare label: string;
  /** Where the menu opens: 'down-end' (below, right-aligned) or 'up-start' (above, left-aligned). */
  declare placement: 'down-end' | 'up-start';
  declare triggerClass: string;
  /**
   * The trigger is named by its visible content (e.g. the account's avatar and id), not by
   * `label`: a name that differs from what is shown fails WCAG 2.5.3 (label in name). `label`
   * still names the menu itself.
   */
  declare nameFromContent: boolean;
  declare open: boolean;
  private readonly menuId = `ec-menu-${++menuCount}`;
  private onOutside = (event: Event) => {
    if (!event.composedPath().includes(this)) this.close(false);
  };
  private onViewportChange = () => this.close(false);

  constructor() {
    super();
    this.items = [];
    this.label = 'Menu';
    this.placement = 'down-end';
    this.triggerClass = 'ghost icon';
    this.nameFromContent = false;
    this.open = false;
  }

  static styles = [base, css`
    :host { display: inline-block; position: relative; }
    [role="menu"] {
      position: fixed; z-index: 1000; min-width: 180px; padding: 4px; margin: 0; list-style: none;
      background: var(--surface-raised); border: 1px solid var(--border); border-radius: 10px;
      box-shadow: var(--shadow-pop);
    }
    [role="menuitem"] {
      display: flex; width: 100%; justify-content: flex-start; border: 0; background: transparent;
      padding: 7px 10px; border-radius: 6px; color: var(--text); font-size: 13px; font-weight: 400;
      text-decoration: none; min-height: 32px; align-items: center;
    }
    [role="menuitem"]:hover, [role="menuitem"]:focus-visible { background: var(--surface-hover); outline: none; text-decoration: none; }
    .trigger { color: var(--text-muted); }
  `];

  render() {
    return html`
      <button class=${`trigger ${this.triggerClass}`} part="trigger" aria-haspopup="menu" aria-expanded=${String(this.open)}
        aria-controls=${this.menuId} aria-label=${this.nameFromContent ? nothing : this.label} title=${this.label}
        @click=${this.toggle} @keydown=${this.onTriggerKey}><slot></slot></button>
      ${this.open ? html`
        <ul role="menu" id=${this.menuId} aria-label=${this.label} @keydown=${this.onMenuKey}>
          ${this.items.map((item) => html`<li role="none">
            ${item.href
              ? html`<a role="menuitem" tabindex="-1" href=${item.href} data-testid=${item.testId ?? nothing} @click=${() => this.choose(item)}>${item.label}</a>`
              : html`<button role="menuitem" tabindex="-1" data-testid=${item.testId ?? nothing} @click=${() => this.choose(item)}>${item.label}</button>`}
          </li>`)}
        </ul>` : nothing}
    `;
  }

  private get trigger(): HTMLButtonElement | null { return this.renderRoot.querySelector('.trigger'); }
  private get menuItems(): HTMLElement[] { return [...this.renderRoot.querySelectorAll<HTMLElement>('[role="menuitem"]')]; }

  private toggle(): void {
    if (this.open) this.close(true);
    else void this.show(0);
  }

  private async show(focusIndex: number): Promise<void> {
    this.open = true;
    await this.updateComplete;
    this.position();
    const items = this.menuItems;
    items[(focusIndex + items.length) % items.length]?.focus();
    document.addEventListener('pointerdown', this.onOutside, true);
    window.addEventListener('resize', this.onViewportChange);
    window.addEventListener('scroll', this.onViewportChange, true);
  }

  private position(): void {
    const menu = this.renderRoot.querySelector<HTMLElement>('[role="menu"]');
    const trigger = this.trigger;
    if (!menu || !trigger) return;
    const r = trigger.getBoundingClientRect();
    const width = menu.offsetWidth;
    const height = menu.offsetHeight;
    const gap = 6;
    let left = this.placement === 'up-start' ? r.left : r.right - width;
    left = Math.max(8, Math.min(left, window.innerWidth - width - 8));
    let top = this.placement === 'up-start' ? r.top - height - gap : r.bottom + gap;
    if (top + height > window.innerHeight - 8) top = r.top - height - gap;
    if (top < 8) top = r.bottom + gap;
    // CSSOM assignments: allowed by a strict style-src (no style attribute is parsed).
    menu.style.left = `${Math.round(left)}px`;
    menu.style.top = `${Math.round(top)}px`;
  }

  close(focusTrigger: boolean): void {
    if (!this.open) return;
    this.open = false;
    document.removeEventListener('pointerdown', this.onOutside, true);
    window.removeEventListener('resize', this.onViewportChange);
    window.removeEventListener('scroll', this.onViewportChange, true);
    if (focusTrigger) this.trigger?.focus();
  }

  private choose(item: MenuItem): void {
    this.close(!item.href);
    this.dispatchEvent(new CustomEvent('select', { detail: item.value, bubbles: true, composed: true }));
  }

  private onTriggerKey(event: KeyboardEvent): void {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      void this.show(event.key === 'ArrowDown' ? 0 : -1);
    }
  }

  private onMenuKey(event: KeyboardEvent): void {
    const items = this.menuItems;
    const i = items.indexOf(this.shadowRoot?.activeElement as HTMLElement);
    const focus = (n: number) => { event.preventDefault(); items[(n + items.length) % items.length]?.focus(); };
    switch (event.key) {
      case 'ArrowDown': focus(i + 1); break;
      case 'ArrowUp': focus(i - 1); break;
      case 'Home': focus(0); break;
      case 'End': focus(items.length - 1); break;
      case 'Escape': event.preventDefault(); event.stopPropagation(); this.close(true); break;
      case 'Tab': this.close(false); break;
      default: break;
    }
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.close(false);
  }
}

customElements.define('ec-menu', EcMenu);

declare global {
  interface HTMLElementTagNameMap { 'ec-menu': EcMenu }
}
