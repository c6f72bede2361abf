// Styles shared by the components. Lit adopts them as constructable stylesheets, which a
// strict Content-Security-Policy allows (no <style> elements, no style attributes).
import { css } from 'lit';

export const base = css`
  :host { color: var(--text); font-family: var(--font-sans); font-size: 14px; line-height: 1.5; }
  *, *::before, *::after { box-sizing: border-box; }
  [hidden] { display: none !important; }
  h1, h2, h3, h4 { margin: 0; font-weight: 600; letter-spacing: -0.01em; }
  h1 { font-size: 22px; line-height: 1.3; }
  h2 { font-size: 16px; }
  h3 { font-size: 14px; }
  p { margin: 0; }
  a { color: var(--accent-text); text-decoration: none; }
  a:hover { text-decoration: underline; }
  :focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; border-radius: 4px; }
  .muted { color: var(--text-muted); }
  .faint { color: var(--text-faint); }
  .small { font-size: 12px; }
  .mono { font-family: var(--font-mono); font-size: 12.5px; }
  .num { font-variant-numeric: tabular-nums; text-align: right; white-space: nowrap; }
  .nowrap { white-space: nowrap; }
  .sr-only {
    position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
    clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0;
  }
  .stack { display: flex; flex-direction: column; gap: 16px; }
  .row { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
  .spacer { flex: 1; }

  .card {
    background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius-lg);
    box-shadow: var(--shadow); overflow: hidden;
  }
  .card-header {
    display: flex; align-items: center; gap: 12px; flex-wrap: wrap;
    padding: 14px 16px; border-bottom: 1px solid var(--border);
  }
  .card-header h2, .card-header h3 { flex: 1 0 auto; }
  .card-body { padding: 16px; }

  button, .button {
    font: inherit; font-size: 13px; font-weight: 500; color: var(--text);
    background: var(--surface); border: 1px solid var(--border-strong); border-radius: 6px;
    padding: 6px 12px; min-height: 32px; cursor: pointer; display: inline-flex; align-items: center;
    gap: 6px; justify-content: center; white-space: nowrap; text-decoration: none;
  }
  button:hover, .button:hover { background: var(--surface-hover); text-decoration: none; }
  button:disabled { opacity: 0.55; cursor: default; }
  button.primary, .button.primary { background: var(--accent); border-color: var(--accent); color: var(--on-accent); }
  button.primary:hover, .button.primary:hover { background: var(--accent-hover); border-color: var(--accent-hover); }
  button.ghost { background: transparent; border-color: transparent; }
  button.ghost:hover { background: var(--surface-hover); }
  button.icon { padding: 0; width: 32px; }

  input, select {
    font: inherit; font-size: 13px; color: var(--text); background: var(--surface);
    border: 1px solid var(--border-strong); border-radius: 6px; padding: 5px 10px; min-height: 32px;
    max-width: 100%;
  }
  input:focus-visible, select:focus-visible { outline: 2px solid var(--focus); outline-offset: 0; }
  input[aria-invalid="true"] { border-color: var(--danger); }
  label { font-size: 13px; font-weight: 500; }
  .field { display: flex; flex-direction: column; gap: 4px; min-width: 0; }
  .field .hint { font-size: 12px; color: var(--text-muted); font-weight: 400; }
  .field .error { font-size: 12px; color: var(--danger); font-weight: 400; }

  .segmented {
    display: inline-flex; border: 1px solid var(--border-strong); border-radius: 7px; padding: 2px;
    background: var(--bg); gap: 2px; flex-wrap: wrap; max-width: 100%;
  }
  .segmented button {
    border: 0; background: transparent; min-height: 26px; padding: 3px 10px; border-radius: 5px;
    color: var(--text-muted);
  }
  .segmented button[aria-pressed="true"], .segmented button[aria-checked="true"] {
    background: var(--surface); color: var(--text); box-shadow: var(--shadow);
  }

  .badge {
    display: inline-flex; align-items: center; gap: 4px; font-size: 12px; font-weight: 500;
    padding: 1px 8px; border-radius: 999px; border: 1px solid var(--border); white-space: nowrap;
    background: var(--bg); color: var(--text-muted);
  }
  .badge.success { background: var(--success-soft); border-color: var(--success-border); color: var(--success); }
  .badge.warning { background: var(--warning-soft); border-color: var(--warning-border); color: var(--warning); }
  .badge.danger { background: var(--danger-soft); border-color: var(--danger-border); color: var(--danger); }
  .badge.accent { background: var(--accent-soft); border-color: transparent; color: var(--accent-text); }

  .callout {
    display: flex; gap: 12px; align-items: flex-start; border-radius: var(--radius);
    border: 1px solid var(--border); padding: 12px 14px; background: var(--bg);
  }
  .callout.warning { background: var(--warning-soft); border-color: var(--warning-border); }
  .callout.danger { background: var(--danger-soft); border-color: var(--danger-border); }
  .callout.info { background: var(--info-soft); border-color: var(--info-border); }
  .callout.success { background: var(--success-soft); border-color: var(--success-border); }
  .callout .icon-dot { flex: none; width: 8px; height: 8px; border-radius: 50%; margin-top: 7px; background: var(--text-muted); }
  .callout.warning .icon-dot { background: var(--warning); }
  .callout.danger .icon-dot { background: var(--danger); }
  .callout.info .icon-dot { background: var(--accent); }
  .callout.success .icon-dot { background: var(--success); }
  .callout strong { font-weight: 600; }

  .table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; position: relative; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { padding: 8px 12px; border-bottom: 1px solid var(--border); text-align: left; vertical-align: top; }
  th { font-size: 12px; font-weight: 500; color: var(--text-muted); background: var(--bg); white-space: nowrap; }
  thead th { position: sticky; top: 0; }
  tbody tr:last-child td { border-bottom: 0; }
  tfoot td { font-weight: 600; border-top: 1px solid var(--border-strong); border-bottom: 0; }
  th.num, td.num { text-align: right; }

  .stat-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 150px), 1fr)); gap: 12px; }
  @media (max-width: 640px) { .stat-grid { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; } .stat .value { font-size: 16px; } }
  .stat { border: 1px solid var(--border); border-radius: var(--radius); padding: 10px 12px; background: var(--surface); min-width: 0; }
  .stat .label { font-size: 12px; color: var(--text-muted); display: flex; align-items: center; gap: 6px; }
  .stat .value { font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; letter-spacing: -0.01em; overflow-wrap: anywhere; }
  .stat .sub { font-size: 12px; color: var(--text-faint); font-variant-numeric: tabular-nums; }
  .stat.highlight { border-color: var(--accent); background: var(--accent-soft); }
  /* The faint grey is 4.3:1 on the accent tint, under WCAG AA's 4.5:1: the muted grey reads there. */
  .stat.highlight .sub { color: var(--text-muted); }

  .num .amount::after { content: attr(data-pad); visibility: hidden; }
  /* Tables marked .stacked become one card per row on a phone; cells name themselves. */
  @media (max-width: 640px) {
    table.stacked thead { display: none; }
    table.stacked, table.stacked tbody, table.stacked tr, table.stacked td { display: block; width: 100%; }
    table.stacked tr { border-bottom: 1px solid var(--border); padding: 10px 12px; }
    table.stacked tr:last-child { border-bottom: 0; }
    table.stacked td { border: 0; padding: 2px 0; display: flex; justify-content: space-between; gap: 12px; text-align: right; }
    table.stacked td:first-child { display: block; text-align: left; padding-bottom: 6px; }
    table.stacked td[data-label]::before { content: attr(data-label); color: var(--text-muted); font-size: 12px; text-align: left; flex: none; }
    table.stacked .amount::after { content: none; }
  }
  .empty { padding: 24px; text-align: center; color: var(--text-muted); }
  .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 3px; flex: none; }
  .swatch.charged { background: var(--chart-charged); }
  .swatch.cache_hit { background: var(--chart-cache-hit); }
  .swatch.summarization { background: var(--chart-summarization); }
  .swatch.other_service { background: var(--chart-other-service); }
  .swatch.cancelled { background: var(--chart-cancelled); }
  .swatch.pending { background: var(--chart-pending); }
`;
