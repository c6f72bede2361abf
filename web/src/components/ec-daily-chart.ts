// Per-day stacked bar chart (Chart.js draws on a canvas; it sets sizes through the CSSOM, which a
// strict style-src allows). The same rows are offered as a table for screen readers and keyboards.
import { LitElement, html, css, type PropertyValues } from 'lit';
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type ChartDataset,
} from 'chart.js';
import type { DailyRow } from '../credits';
import { FREE_CATEGORIES, FREE_LABELS, formatCredits, formatDay, formatDayLong, formatTokens } from '../format';
import { amount } from '../describe';
import { base } from './styles';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

const SERIES = [
  { key: 'charged', label: 'Charged', color: '--chart-charged' },
  ...FREE_CATEGORIES.map((c) => ({ key: c, label: `Free: ${FREE_LABELS[c]}`, color: `--chart-${c.replace('_', '-')}` })),
] as const;

function seriesCredits(row: DailyRow, key: string): string {
  return key === 'charged' ? row.charged_credits : row.free[`${key}_credits` as keyof DailyRow['free']] as string;
}

export class EcDailyChart extends LitElement {
  static properties = {
    rows: { attribute: false },
    caption: { type: String },
    showTable: { state: true },
  };

  declare rows: DailyRow[];
  declare caption: string;
  declare showTable: boolean;
  private chart: Chart | null = null;
  private media = window.matchMedia('(prefers-color-scheme: dark)');
  private onScheme = () => this.redraw();

  constructor() {
    super();
    this.rows = [];
    this.caption = 'Usage per day';
    this.showTable = false;
  }

  static styles = [base, css`
    :host { display: block; }
    .canvas-box { position: relative; height: 260px; width: 100%; margin: 0; }
    canvas { display: block; }
    .toolbar { display: flex; justify-content: flex-end; margin-top: 8px; }
    .table-wrap { max-height: 320px; margin-top: 8px; border: 1px solid var(--border); border-radius: var(--radius); }
  `];

  connectedCallback(): void {
    super.connectedCallback();
    this.media.addEventListener('change', this.onScheme);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.media.removeEventListener('change', this.onScheme);
    this.chart?.destroy();
    this.chart = null;
  }

  protected updated(changed: PropertyValues): void {
    if (changed.has('rows')) this.redraw();
  }

  private redraw(): void {
    const canvas = this.renderRoot.querySelector('canvas');
    if (!canvas) return;
    const style = getComputedStyle(this);
    const color = (name: string) => style.getPropertyValue(name).trim() || '#888';
    const rows = this.rows;
    const datasets: ChartDataset<'bar', number[]>[] = SERIES.map((s) => ({
      label: s.label,
      // Bar heights only: exact figures are in the tooltip and the table, from the report strings.
      data: rows.map((r) => Number(seriesCredits(r, s.key))),
      backgroundColor: color(s.color),
      borderWidth: 0,
      stack: 'day',
      maxBarThickness: 28,
    }));
    const grid = color('--chart-grid');
    const text = color('--chart-text');
    this.chart?.destroy();
    this.chart = new Chart(canvas, {
      type: 'bar',
      data: { labels: rows.map((r) => formatDay(r.date)), datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { stacked: true, grid: { display: false }, ticks: { color: text, maxRotation: 0, autoSkipPadding: 12 } },
          y: {
            stacked: true, grid: { color: grid }, border: { display: false },
            ticks: { color: text, callback: (v) => formatCredits(String(v)) },
            title: { display: true, text: 'credits', color: text },
          },
        },
        plugins: {
          legend: { position: 'bottom', labels: { color: text, boxWidth: 10, boxHeight: 10, usePointStyle: false } },
          tooltip: {
            callbacks: {
              title: (items) => (items[0] ? formatDayLong(rows[items[0].dataIndex].date) : ''),
              label: (item) => {
                const s = SERIES[item.datasetIndex];
                return `${s.label}: ${formatCredits(seriesCredits(rows[item.dataIndex], s.key))}`;
              },
              footer: (items) => (items[0] ? `Total: ${formatCredits(rows[items[0].dataIndex].total_credits)} credits` : ''),
            },
          },
        },
      },
    });
  }

  render() {
    const rows = this.rows;
    return html`
      <figure class="canvas-box" aria-label=${this.caption}>
        <canvas role="img" aria-label=${`${this.caption}: ${rows.length} days. Use "Show as table" for the figures.`}></canvas>
      </figure>
      <div class="toolbar">
        <button class="ghost" aria-expanded=${String(this.showTable)} @click=${() => { this.showTable = !this.showTable; }}>
          ${this.showTable ? 'Hide table' : 'Show as table'}
        </button>
      </div>
      ${this.showTable ? html`
        <div class="table-wrap">
          <table data-testid="daily-table">
            <caption class="sr-only">${this.caption}</caption>
            <thead><tr>
              <th scope="col">Date</th><th scope="col" class="num">Charged</th>
              ${FREE_CATEGORIES.map((c) => html`<th scope="col" class="num">${FREE_LABELS[c]}</th>`)}
              <th scope="col" class="num">Total</th>
            </tr></thead>
            <tbody>
              ${rows.map((r) => html`<tr>
                <th scope="row">${r.date}</th>
                <td class="num">${amount(r.charged_tokens, r.charged_credits)}</td>
                ${FREE_CATEGORIES.map((c) => html`<td class="num">${amount(r.free[`${c}_tokens`], r.free[`${c}_credits`])}</td>`)}
                <td class="num">${amount(r.total_tokens, r.total_credits)}</td>
              </tr>`)}
            </tbody>
          </table>
        </div>` : ''}
      ${rows.length === 0 ? html`<p class="empty">No usage in this range.</p>` : ''}
      <span class="sr-only">${formatTokens(rows.length)} days</span>
    `;
  }
}

customElements.define('ec-daily-chart', EcDailyChart);

declare global {
  interface HTMLElementTagNameMap { 'ec-daily-chart': EcDailyChart }
}
