// The risk dashboard: every number below comes from the WebAssembly kernel, through the SDK's
// wrapper (app/sdk/src/kernel), in this page. Elements carrying a number have
// data-field="<path in the report>" and data-value="<the number, exactly>" (String(x) round-trips
// a double): the browser test compares them with `pm risk`'s output.
import { RiskKernel } from '/sdk/src/kernel/index.js';

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'data') Object.assign(e.dataset, v);
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
};
const fmt = (x, digits = 2) =>
  x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (x, digits = 1) => `${(x * 100).toFixed(digits)}%`;
const get = (obj, path) => path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);

/** A number element: shown rounded, carried exactly. */
function num(value, field, digits = 2) {
  const e = el('span', { class: 'num', data: { field, value: String(value) } }, fmt(value, digits));
  if (value < 0) e.classList.add('neg');
  return e;
}
function fill(e, value, digits = 2) {
  e.dataset.value = String(value);
  e.textContent = fmt(value, digits);
  e.classList.toggle('neg', value < 0);
}

let kernel;
let portfolioText;
let report;
const trades = [];

function headline(r) {
  for (const e of document.querySelectorAll('#headline [data-field]')) fill(e, get(r, e.dataset.field));
  const use = (x, bar, label) => {
    const u = r.equity > 0 ? x / r.equity : Infinity;
    $(label).textContent = Number.isFinite(u) ? pct(u) : 'n/a';
    $(bar).style.width = `${Math.min(100, Number.isFinite(u) ? u * 100 : 100)}%`;
    $(bar).classList.toggle('over', u >= 1);
  };
  use(r.initial, '#im-bar', '#im-use');
  use(r.maintenance, '#mm-bar', '#mm-use');
}

/** Spot move (columns) x vol move (rows); scenarios off that plane (twist, basis) in a strip. */
function heatmap(level, gi, prefix, worstIndex) {
  const scen = level.scenarios;
  const onPlane = (s) => s.twist_move === 0 && s.basis_move === 0;
  const spots = [...new Set(scen.filter(onPlane).map((s) => s.spot_move))].sort((a, b) => a - b);
  const vols = [...new Set(scen.filter(onPlane).map((s) => s.vol_move))].sort((a, b) => b - a);
  const cell = new Map();
  const off = [];
  scen.forEach((s, i) => {
    const key = `${s.spot_move}|${s.vol_move}`;
    if (onPlane(s) && !cell.has(key)) cell.set(key, i);
    else off.push(i);
  });
  const maxAbs = Math.max(1e-12, ...scen.map((s) => Math.abs(s.pnl)));
  const paint = (td, i) => {
    const s = scen[i];
    const a = 0.12 + 0.88 * Math.min(1, Math.abs(s.pnl) / maxAbs);
    td.style.background = s.pnl < 0 ? `rgba(220, 38, 38, ${a})` : `rgba(22, 163, 74, ${a})`;
    td.title =
      `scenario ${i}: spot ${pct(s.spot_move)}, vol ${(s.vol_move * 100).toFixed(1)} pts, ` +
      `twist ${(s.twist_move * 100).toFixed(1)}, basis ${(s.basis_move * 100).toFixed(2)}%, weight ${s.weight.toFixed(4)}, ` +
      `P&L ${fmt(s.pnl)}, weighted ${fmt(s.pnl * s.weight)}`;
    td.append(num(s.pnl, `${prefix}.scenarios.${i}.pnl`, 0));
    td.dataset.scenario = String(i);
    if (i === worstIndex) {
      td.classList.add('worst');
      td.dataset.worst = '1';
      td.prepend(el('b', { class: 'star', 'aria-label': 'worst scenario' }, '★'));
    }
  };
  const table = el('table', { class: 'heat', data: { group: String(gi) } });
  const head = el('tr', {}, el('th', { class: 'corner' }, 'vol \\ spot'));
  for (const s of spots) head.append(el('th', {}, pct(s)));
  table.append(el('thead', {}, head));
  const body = el('tbody');
  for (const v of vols) {
    const tr = el('tr', {}, el('th', {}, `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)} vp`));
    for (const s of spots) {
      const td = el('td');
      const i = cell.get(`${s}|${v}`);
      if (i === undefined) td.className = 'empty';
      else paint(td, i);
      tr.append(td);
    }
    body.append(tr);
  }
  table.append(body);
  const wrap = el('div', { class: 'heatwrap' }, table);
  if (off.length) {
    const strip = el('div', { class: 'strip' });
    for (const i of off) {
      const s = scen[i];
      const what = [
        s.spot_move ? `spot ${pct(s.spot_move)}` : '',
        s.vol_move ? `vol ${(s.vol_move * 100).toFixed(1)} vp` : '',
        s.twist_move ? `twist ${s.twist_move > 0 ? '+' : ''}${(s.twist_move * 100).toFixed(1)}` : '',
        s.basis_move ? `basis ${s.basis_move > 0 ? '+' : ''}${(s.basis_move * 100).toFixed(2)}%/yr` : '',
      ]
        .filter(Boolean)
        .join(', ');
      const chip = el('div', { class: 'chip' }, el('small', {}, what || 'no move'));
      paint(chip, i);
      strip.append(chip);
    }
    wrap.append(strip);
  }
  return wrap;
}

function groups(r) {
  const root = $('#groups');
  root.replaceChildren();
  r.groups.forEach((g, i) => {
    const p = `groups.${i}`;
    const greeks = el('table', { class: 'greeks' });
    const digits = { delta: 4, gamma: 6, vega: 2, theta: 2, rho: 2 };
    greeks.append(el('tr', {}, ...Object.keys(digits).map((k) => el('th', {}, k))));
    greeks.append(el('tr', {}, ...Object.entries(digits).map(([k, d]) => el('td', {}, num(g.greeks[k], `${p}.greeks.${k}`, d)))));
    const levelBox = el('div', { class: 'level' });
    const showLevel = (lvl) => {
      const level = lvl === 'maintenance' ? g : g.initial;
      const prefix = lvl === 'maintenance' ? p : `${p}.initial`;
      levelBox.replaceChildren(heatmap(level, i, prefix, level.worst_scenario.index));
      levelBox.dataset.level = lvl;
    };
    const toggle = el('select', { class: 'level-select', 'aria-label': 'margin level' },
      el('option', { value: 'maintenance' }, 'maintenance scenarios'),
      el('option', { value: 'initial' }, 'initial scenarios'));
    toggle.addEventListener('change', () => showLevel(toggle.value));
    showLevel('maintenance');
    const w = g.worst_scenario;
    root.append(
      el('article', { class: 'group', data: { group: g.name } },
        el('h2', {}, g.name),
        el('div', { class: 'facts' },
          el('span', {}, 'MM loss ', num(g.maintenance_loss, `${p}.maintenance_loss`)),
          el('span', {}, 'IM loss ', num(g.initial.loss, `${p}.initial.loss`)),
          el('span', {}, 'short-option charge ', num(g.short_option_charge, `${p}.short_option_charge`)),
          el('span', {}, 'scan range ', num(g.scan_range, `${p}.scan_range`, 4), ' / IM ', num(g.initial.scan_range, `${p}.initial.scan_range`, 4)),
          el('span', { class: 'worst-label' }, `worst: scenario ${w.index} (spot ${pct(w.spot_move)}, vol ${(w.vol_move * 100).toFixed(1)} vp`
            + `${w.twist_move ? `, twist ${(w.twist_move * 100).toFixed(1)}` : ''}${w.basis_move ? `, basis ${(w.basis_move * 100).toFixed(2)}%/yr` : ''}) `,
            num(w.pnl, `${p}.worst_scenario.pnl`))),
        greeks,
        el('div', { class: 'levelbar' }, toggle),
        levelBox));
  });
}

function collateral(r) {
  const body = $('#collateral tbody');
  body.replaceChildren(
    ...r.collateral.map((c, i) =>
      el('tr', {}, el('td', {}, c.name),
        ...['market_value', 'maintenance_value', 'initial_value'].map((k) => el('td', {}, num(c[k], `collateral.${i}.${k}`))))),
  );
}

function liquidation() {
  const liq = kernel.liquidationPrices(portfolioText);
  const cell = (v) => (v === null ? el('span', { class: 'muted' }, 'none') : el('span', { data: { value: String(v) } }, fmt(v, v < 10 ? 4 : 2)));
  $('#liquidation tbody').replaceChildren(
    ...liq.underlyings.map((u) => el('tr', { data: { underlying: u.name } }, el('td', {}, u.name), el('td', {}, fmt(u.spot, 2)), el('td', { class: 'down' }, cell(u.down)), el('td', { class: 'up' }, cell(u.up)))),
  );
  if (liq.liquidatable_now) $('#liquidation').before(el('p', { class: 'alert' }, 'Liquidatable now: equity is below maintenance margin.'));
}

function tradeFromForm() {
  const f = new FormData($('#trade-form'));
  const n = (k) => Number(f.get(k));
  const t = { underlying: f.get('underlying'), type: f.get('type'), lot_size: n('lot_size'), lots: Math.trunc(n('lots')) };
  if (t.type === 'call' || t.type === 'put') Object.assign(t, { strike: n('strike'), expiry_years: n('expiry_years'), vol: n('vol') });
  if (t.type === 'future') t.expiry_years = n('expiry_years');
  if (f.get('price') !== '') t.price = n('price');
  return t;
}

function showWhatIf() {
  const list = $('#trades');
  list.replaceChildren(...trades.map((t) => el('li', {}, `${t.lots > 0 ? 'buy' : 'sell'} ${Math.abs(t.lots)} x ${t.lot_size} ${t.underlying} ${t.type}` +
    `${t.strike !== undefined ? ` ${t.strike}` : ''}${t.expiry_years !== undefined ? ` ${t.expiry_years}y` : ''}${t.price !== undefined ? ` @ ${t.price}` : ' @ mark'}`)));
  const body = $('#whatif-table tbody');
  if (!trades.length) return body.replaceChildren();
  const w = kernel.whatIf({ portfolio: portfolioText, trades });
  const rows = [
    ['equity', 'equity'],
    ['initial margin', 'initial'],
    ['maintenance margin', 'maintenance'],
    ['excess over IM', 'excess_initial'],
    ...w.after.groups.map((g, i) => [`${g.name} IM loss`, `groups.${i}.initial.loss`]),
  ];
  body.replaceChildren(
    ...rows.map(([label, path]) => {
      const [b, a] = [get(w.before, path), get(w.after, path)];
      return el('tr', {}, el('th', {}, label), el('td', {}, num(b, `whatif.before.${path}`)), el('td', {}, num(a, `whatif.after.${path}`)), el('td', {}, num(a - b, `whatif.change.${path}`)));
    }),
  );
}

function setupWhatIf() {
  const sel = $('#trade-form select[name=underlying]');
  sel.replaceChildren(...report.groups.map((g) => el('option', { value: g.name }, g.name)));
  // Defaults from the selected underlying: a 5% out-of-the-money strike at its ATM vol.
  const unds = JSON.parse(portfolioText).underlyings ?? [];
  const defaults = () => {
    const u = unds.find((x) => x.name === sel.value);
    if (!u) return;
    const f = $('#trade-form');
    f.strike.value = String(Number((u.spot * 1.05).toPrecision(3)));
    f.vol.value = String(u.atm_vol);
    f.lot_size.value = u.spot >= 1000 ? '0.01' : '1';
  };
  sel.addEventListener('change', defaults);
  defaults();
  const err = el('div', { class: 'alert', id: 'whatif-error', hidden: '' });
  $('#trade-form').after(err);
  const guard = (f) => {
    try {
      err.hidden = true;
      f();
    } catch (e) {
      err.hidden = false;
      err.textContent = e.message;
    }
  };
  $('#trade-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    guard(() => {
      trades.push(tradeFromForm());
      try {
        showWhatIf();
      } catch (e) {
        trades.pop();
        showWhatIf();
        throw e;
      }
    });
  });
  $('#clear-trades').addEventListener('click', () => guard(() => {
    trades.length = 0;
    showWhatIf();
    $('#max-answer').replaceChildren();
  }));
  $('#max-size').addEventListener('click', () => guard(() => {
    const { lots, ...trade } = tradeFromForm();
    const side = lots < 0 ? 'sell' : 'buy';
    const m = kernel.maxTrade({ portfolio: portfolioText, side, trade });
    $('#max-answer').replaceChildren(`largest ${side} within initial margin: `,
      el('b', { data: { field: 'max.lots', value: String(m.lots) } }, `${Math.abs(m.lots)} lots`),
      ` at ${fmt(m.price, 4)} (${m.limited_by})`);
  }));
}

async function main() {
  try {
    kernel = await RiskKernel.load(); // the SDK's default: ../../wasm/risk_kernel.wasm from its module
    const res = await fetch('/portfolio.json');
    portfolioText = await res.text();
    if (!res.ok) throw new Error(portfolioText);
    report = kernel.risk(portfolioText);
    headline(report);
    groups(report);
    collateral(report);
    liquidation();
    setupWhatIf();
    document.body.dataset.ready = '1';
  } catch (e) {
    const box = $('#error');
    box.hidden = false;
    box.textContent = `${e.name ?? 'Error'}: ${e.message}`;
    document.body.dataset.ready = 'error';
  }
}
main();
