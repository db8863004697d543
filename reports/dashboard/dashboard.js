/* The dashboard's page script (reports/dashboard/__init__.py inlines it with the data and
   Chart.js). No request ever leaves the page: the data is in the document itself. */
(function () {
  'use strict';

  const META = JSON.parse(document.getElementById('sea-data').textContent);
  const V = META.values;
  const STATUS = META.status;
  // under a target, what it is compared with (the full wording is the cell's title)
  const BASIS_SHORT = { year_to_date: 'annuel, en cumul', year: 'annuel' };
  const ALL = 'ALL';
  const PALETTE = ['#1f5f99', '#d1495b', '#2e8b57', '#edae49', '#7b4b94', '#00798c',
    '#8c564b', '#5b6675'];

  // -- French formatting ----------------------------------------------------------------------
  const nf = {};
  function numberFormat(decimals) {
    if (!nf[decimals]) {
      nf[decimals] = new Intl.NumberFormat('fr-FR', {
        minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    }
    return nf[decimals];
  }
  const pct1 = new Intl.NumberFormat('fr-FR', { style: 'percent', minimumFractionDigits: 1,
    maximumFractionDigits: 1 });
  const pct0 = new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 0 });
  const NBSP = '\u00a0';
  const DASH = '–';

  function fmtValue(value, ind) {
    if (value === null || value === undefined || Number.isNaN(value)) return DASH;
    if (ind.type === 'rate') return pct1.format(value);
    if (ind.type === 'median') {
      return numberFormat(Number.isInteger(value) ? 0 : 1).format(value) + NBSP + 'j';
    }
    if (ind.type === 'sum') {
      return numberFormat(0).format(value) + (ind.unitCode === 'hours' ? NBSP + 'h' : '');
    }
    return numberFormat(Number.isInteger(value) ? 0 : 1).format(value);
  }
  function fmtTarget(target, ind) {  // rate targets are in %
    if (target === null || target === undefined) return DASH;
    return ind.type === 'rate' ? fmtValue(target / 100, ind) : fmtValue(target, ind);
  }
  function fmtDate(iso, withTime) {
    if (!iso) return DASH;
    const d = new Date(withTime ? iso : String(iso).slice(0, 10) + 'T12:00:00');
    if (Number.isNaN(d.getTime())) return String(iso);
    const opts = withTime
      ? { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Paris' }
      : { dateStyle: 'long' };
    return new Intl.DateTimeFormat('fr-FR', opts).format(d).replace(/^1 /, '1er ');
  }
  function esc(text) {
    return String(text === null || text === undefined ? '' : text)
      .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;');
  }
  function capitalise(text) { return text ? text[0].toUpperCase() + text.slice(1) : ''; }

  // -- the indicator values: decode the columns, index the groups -----------------------------
  const IND = new Map(META.indicators.map((i) => [i.code, i]));
  const indByIndex = V.indicators.map((code) => IND.get(code) ||
    { code: code, label: code, type: 'count', unitCode: '' });
  const scopeIndex = new Map(V.scopes.map((s, i) => [s[0] + '|' + s[1], i]));
  const dvIndex = new Map(V.dimValues.map((dv, i) => [dv[0] + '|' + dv[1], i]));
  const periodsByType = {};
  V.periods.forEach((p, i) => { (periodsByType[p.type] = periodsByType[p.type] || []).push(i); });
  // an option's value names its period: `quarter:2026-07-01` (stable for tests and bookmarks)
  const periodKey = (i) => (i < 0 ? '' : V.periods[i].type + ':' + V.periods[i].start);
  const periodKeys = new Map(V.periods.map((p, i) => [periodKey(i), i]));
  const targetByRow = new Map(V.targets.map((t) => [t[0], t]));
  let cols = null;
  const groups = new Map();  // (scope, indicator, category) -> [first row, end row)

  function unshuffle(bytes, n) {
    const out = new Uint8Array(n * 8);
    for (let j = 0; j < 8; j++) {
      const plane = j * n;
      for (let i = 0; i < n; i++) out[i * 8 + j] = bytes[plane + i];
    }
    return new Float64Array(out.buffer);
  }

  async function decode() {
    const text = document.getElementById('sea-values').textContent.trim();
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    const buffer = await new Response(stream).arrayBuffer();
    cols = {};
    for (const c of V.layout) {
      if (c.type === 'f64s') {
        cols[c.name] = unshuffle(new Uint8Array(buffer, c.offset, c.length * 8), c.length);
      } else if (c.type === 'uint16') {
        cols[c.name] = new Uint16Array(buffer, c.offset, c.length);
      } else {
        cols[c.name] = new Uint8Array(buffer, c.offset, c.length);
      }
    }
    const n = V.rows;
    let start = 0;
    for (let r = 1; r <= n; r++) {
      if (r === n || cols.scope[r] !== cols.scope[start] || cols.ind[r] !== cols.ind[start] ||
          cols.dv[r] !== cols.dv[start]) {
        groups.set(groupKey(cols.scope[start], cols.ind[start], cols.dv[start]), [start, r]);
        start = r;
      }
    }
  }
  function groupKey(scope, ind, dv) { return (scope * 256 + ind) * 65536 + dv; }

  function rowOf(scope, indIdx, dv, period) {
    const g = groups.get(groupKey(scope, indIdx, dv));
    if (!g) return -1;
    for (let r = g[0]; r < g[1]; r++) if (cols.period[r] === period) return r;
    return -1;
  }
  function valueAt(row) {
    if (row < 0) return null;
    const m = cols.measure[row];
    const d = cols.den[row];
    if (d > 0) return m / d;
    return Number.isNaN(m) ? null : m;
  }

  // -- filters --------------------------------------------------------------------------------
  const $ = (id) => document.getElementById(id);
  const state = { programme: ALL, antenna: ALL, periodType: 'quarter', period: -1,
    dimension: 'total', trend: null };
  const parentOf = {};
  (function () {  // ancestors from the programme tree order (depth-first with depths)
    const stack = [];
    for (const p of META.programmes) {
      stack.length = p.depth;
      parentOf[p.code] = p.depth > 0 ? stack[p.depth - 1] : null;
      stack[p.depth] = p.code;
    }
  })();

  function fillSelect(el, options, value) {
    el.innerHTML = options.map((o) => '<option value="' + esc(o.value) + '"' +
      (o.title ? ' title="' + esc(o.title) + '"' : '') + '>' + esc(o.label) + '</option>').join('');
    el.value = value;
  }
  function defaultPeriod(type) {
    const list = periodsByType[type] || [];
    // the latest complete period (ended by the date of the data), else the latest one
    for (let k = list.length - 1; k >= 0; k--) {
      if (V.periods[list[k]].end <= META.asOf) return list[k];
    }
    return list.length ? list[list.length - 1] : -1;
  }
  function setupFilters() {
    fillSelect($('f-programme'), META.programmes.map((p) => ({ value: p.code, title: p.title,
      label: '\u00a0\u00a0\u00a0'.repeat(Math.max(0, p.depth - 1)) +
        (p.depth > 1 ? '└\u00a0' : '') + p.label })), state.programme);
    fillSelect($('f-antenna'), META.antennas.map((a) => ({ value: a.code, label: a.label })),
      state.antenna);
    fillSelect($('f-period-type'), META.periodTypes.filter((t) => periodsByType[t.code])
      .map((t) => ({ value: t.code, label: t.label })), state.periodType);
    fillPeriods();
    fillSelect($('f-dimension'), V.dimensions.map((d) => ({ value: d.code,
      label: d.code === 'total' ? 'Aucune (ensemble)' : d.label })), state.dimension);
    const trendChoices = META.indicators.filter((i) => IND.has(i.code));
    // the first indicator with a quarterly target over the whole organisation, else the first
    const whole = scopeIndex.get(ALL + '|' + ALL);
    const withTarget = new Set();
    for (const t of V.targets) {
      if (t[5] !== null && cols.scope[t[0]] === whole) withTarget.add(V.indicators[cols.ind[t[0]]]);
    }
    state.trend = (trendChoices.find((i) => withTarget.has(i.code)) || trendChoices[0]).code;
    fillSelect($('trend-indicator'), trendChoices.map((i) => ({ value: i.code, label: i.label })),
      state.trend);
    $('f-programme').addEventListener('change', (e) => { state.programme = e.target.value; update(); });
    $('f-antenna').addEventListener('change', (e) => { state.antenna = e.target.value; update(); });
    $('f-period-type').addEventListener('change', (e) => {
      state.periodType = e.target.value; fillPeriods(); update();
    });
    $('f-period').addEventListener('change', (e) => { state.period = periodKeys.get(e.target.value); update(); });
    $('f-dimension').addEventListener('change', (e) => { state.dimension = e.target.value; update(); });
    $('trend-indicator').addEventListener('change', (e) => { state.trend = e.target.value; renderTrend(); highlight(); });
    $('key-indicators').addEventListener('click', (e) => {
      const tr = e.target.closest('tr[data-indicator]');
      if (tr) { state.trend = tr.dataset.indicator; $('trend-indicator').value = state.trend; renderTrend(); highlight(); }
    });
  }
  function fillPeriods() {
    const list = (periodsByType[state.periodType] || []).slice().reverse();
    state.period = defaultPeriod(state.periodType);
    fillSelect($('f-period'), list.map((i) => ({ value: periodKey(i), label: V.periods[i].label })),
      periodKey(state.period));
  }
  function currentScope() { return scopeIndex.get(state.programme + '|' + state.antenna); }
  function labelOf(list, code) { const f = list.find((x) => x.code === code); return f ? f.label : code; }
  function inScope(programme, antenna) {
    const p = programme || ALL;
    const a = antenna || ALL;
    let okP = state.programme === ALL || p === ALL;
    for (let c = state.programme; !okP && c; c = parentOf[c]) if (c === p) okP = true;
    const okA = state.antenna === ALL || a === ALL || a === state.antenna;
    return okP && okA;
  }

  // -- views ----------------------------------------------------------------------------------
  const charts = {};
  function chart(id, config) {
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart($(id), config);
  }

  function renderKey() {
    const scope = currentScope();
    const body = $('key-indicators').querySelector('tbody');
    const empty = $('indicators-empty');
    const p = V.periods[state.period];
    $('scope-line').textContent = 'Périmètre : ' + labelOf(META.programmes, state.programme) +
      ' — ' + labelOf(META.antennas, state.antenna) + ' · ' + (p ? PERIOD_TEXT(p) : '');
    if (scope === undefined || !p) {
      body.innerHTML = '';
      empty.hidden = false;
      empty.textContent = 'Aucune donnée publiée pour ce programme dans cette antenne.';
      return;
    }
    empty.hidden = true;
    const total = dvIndex.get('total|total');
    let html = '';
    let level = null;
    V.indicators.forEach((code, k) => {
      const ind = indByIndex[k];
      if (ind.level !== level) {
        level = ind.level;
        html += '<tr class="level-head"><td colspan="5">' + esc(capitalise(level || '')) + '</td></tr>';
      }
      const row = rowOf(scope, k, total, state.period);
      const value = valueAt(row);
      const t = targetByRow.get(row);
      let status = '';
      if (t && t[5] !== null) {
        status = '<span class="status ' + STATUS.css[t[5]] + '" title="' +
          esc(STATUS.basis[t[4]] || '') + '">' + esc(STATUS.labels[t[5]]) + '</span>';
      }
      html += '<tr data-indicator="' + esc(code) + '"' + (row < 0 ? ' data-missing="1"' : '') + '>' +
        '<td title="' + esc(ind.description || '') + '">' + esc(ind.label) + '</td>' +
        '<td class="num value" data-value="' + (value === null ? '' : String(value)) + '">' +
        esc(fmtValue(value, ind)) + '</td>' +
        '<td class="num target"' + (t ? ' data-value="' + t[1] + '" title="' + esc(STATUS.basis[t[4]] || '') + '"' : '') + '>' +
        (t ? esc(fmtTarget(t[1], ind)) + (BASIS_SHORT[t[4]] ? '<span class="basis">' +
          esc(BASIS_SHORT[t[4]]) + '</span>' : '') : DASH) + '</td>' +
        '<td class="num achievement"' + (t && t[2] !== null ? ' data-value="' + t[2] + '"' : '') + '>' +
        (t && t[2] !== null ? esc(pct0.format(t[2])) : DASH) + '</td>' +
        '<td class="status-cell">' + (status || (state.periodType === 'quarter' ? '' :
          (t ? '<span class="status na">suivi au trimestre</span>' : ''))) + '</td></tr>';
    });
    body.innerHTML = html;
    highlight();
  }
  function PERIOD_TEXT(p) {
    if (p.type === 'cumulative') return 'cumul ' + p.label + ' au ' + fmtDate(p.end);
    return p.label + ' (du ' + fmtDate(p.start) + ' au ' + fmtDate(p.end) + ')';
  }
  function highlight() {
    for (const tr of $('key-indicators').querySelectorAll('tr[data-indicator]')) {
      tr.classList.toggle('chosen', tr.dataset.indicator === state.trend);
    }
  }

  function quarterSeries(code, dvKey, count, completeOnly) {
    const scope = currentScope();
    const k = V.indicators.indexOf(code);
    const dv = dvIndex.get(dvKey);
    let list = (periodsByType.quarter || []).filter((i) => V.periods[i].start <= META.asOf &&
      (!completeOnly || V.periods[i].end <= META.asOf));
    if (count) list = list.slice(-count);
    return list.map((i) => {
      const row = scope === undefined ? -1 : rowOf(scope, k, dv, i);
      const p = V.periods[i];
      return { label: p.label + (p.end > META.asOf ? ' (en cours)' : ''), value: valueAt(row),
        target: targetByRow.get(row) };
    });
  }
  function axisFormat(ind) {
    return (v) => (ind.type === 'rate' ? pct0.format(v) : numberFormat(0).format(v));
  }

  function renderTrend() {
    const ind = IND.get(state.trend);
    const series = quarterSeries(state.trend, 'total|total', 16);
    const datasets = [{ label: ind.label, data: series.map((s) => s.value), borderColor: PALETTE[0],
      backgroundColor: PALETTE[0], tension: 0, spanGaps: true }];
    if (series.some((s) => s.target && s.target[4] === 'year_to_date')) {
      // an annual volume is followed on the year to date: draw that cumulated value too
      datasets.push({ label: 'Cumul depuis le 1er janvier', borderColor: PALETTE[2],
        backgroundColor: PALETTE[2], tension: 0, spanGaps: false,
        data: series.map((s) => (s.target && s.target[4] === 'year_to_date' ? s.target[3] : null)) });
    }
    if (series.some((s) => s.target)) {
      datasets.push({ label: 'Objectif', borderDash: [6, 4], borderColor: '#b3261e',
        backgroundColor: '#b3261e', pointRadius: 2, spanGaps: false,
        data: series.map((s) => (s.target ? (ind.type === 'rate' ? s.target[1] / 100 : s.target[1]) : null)) });
    }
    chart('trend-chart', {
      type: 'line', data: { labels: series.map((s) => s.label), datasets: datasets },
      options: chartOptions(ind, axisFormat(ind), (v) => fmtValue(v, ind)),
    });
  }

  function chartOptions(ind, tick, tip) {
    return {
      responsive: true, maintainAspectRatio: false, animation: false, locale: 'fr-FR',
      interaction: { mode: 'index', intersect: false },
      scales: { y: { beginAtZero: true, ticks: { callback: tick } } },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: { callbacks: { label: (c) => c.dataset.label + ' : ' +
          (c.parsed.y === null ? DASH : tip(c.parsed.y)) } },
      },
    };
  }

  function renderBreakdown() {
    const table = $('breakdown-table');
    const empty = $('breakdown-empty');
    const dim = state.dimension;
    const dimLabel = labelOf(V.dimensions, dim);
    $('breakdown-title').textContent = dim === 'total' ? '' : '— ' + dimLabel;
    const scope = currentScope();
    const show = (text) => {
      table.hidden = true; empty.hidden = false; empty.textContent = text;
      $('breakdown').classList.remove('wide');
    };
    if (dim === 'total') return show('Choisir une ventilation dans les filtres (sexe, âge, statut, nationalité…).');
    if (state.periodType === 'month') {
      return show('Les ventilations sont publiées au trimestre, à l\'année et en cumul, pas au mois (pour garder ce fichier léger).');
    }
    if (scope === undefined) return show('Aucune donnée publiée pour ce programme dans cette antenne.');
    const categories = [];
    V.dimValues.forEach((dv, i) => { if (dv[0] === dim) categories.push(i); });
    const codes = V.indicators.filter((c) => (V.indicatorDimensions[c] || []).includes(dim));
    if (!codes.length) return show('Aucun indicateur n\'est ventilé par ' + dimLabel.toLowerCase() + '.');
    let head = '<tr><th>Indicateur</th>' + categories.map((i) =>
      '<th class="num">' + esc(V.dimValueLabels[i]) + '</th>').join('') + '</tr>';
    let body = '';
    for (const code of codes) {
      const k = V.indicators.indexOf(code);
      const ind = indByIndex[k];
      body += '<tr><td>' + esc(ind.label) + '</td>' + categories.map((i) => {
        const row = rowOf(scope, k, i, state.period);
        const v = valueAt(row);
        return '<td class="num" data-indicator="' + esc(code) + '" data-dimension-value="' +
          esc(V.dimValues[i][1]) + '" data-value="' + (v === null ? '' : String(v)) + '">' +
          (row < 0 ? DASH : esc(fmtValue(v, ind))) + '</td>';
      }).join('') + '</tr>';
    }
    // many categories (nationality): the section takes the whole width
    $('breakdown').classList.toggle('wide', categories.length > 6);
    table.querySelector('thead').innerHTML = head;
    table.querySelector('tbody').innerHTML = body;
    table.hidden = false; empty.hidden = true;
  }

  function renderOutcomes() {
    const codes = META.outcomeIndicators.filter((c) => IND.has(c));
    if (!codes.length) return;
    const first = quarterSeries(codes[0], 'total|total', 12, true);
    const datasets = codes.map((code, n) => ({
      label: IND.get(code).label, borderColor: PALETTE[n % PALETTE.length],
      backgroundColor: PALETTE[n % PALETTE.length], spanGaps: true, tension: 0,
      borderDash: /6M/.test(code) ? [5, 3] : [],
      data: quarterSeries(code, 'total|total', 12, true).map((s) => s.value),
    }));
    const rate = { type: 'rate' };
    chart('outcomes-chart', { type: 'line', data: { labels: first.map((s) => s.label), datasets: datasets },
      options: Object.assign(chartOptions(rate, (v) => pct0.format(v), (v) => pct1.format(v)), {}) });
    charts['outcomes-chart'].options.scales.y.max = 1;
    charts['outcomes-chart'].update();
  }

  function renderSurvival() {
    const datasets = META.survival.map((s, n) => {
      const chosen = s.programme === state.programme;
      // Kaplan-Meier: 0 at entry; each step's probability is reached at the end of its step
      const points = [{ x: 0, y: 0 }].concat(s.points.map((p) => ({ x: p[0], y: p[1] })));
      return { label: s.label, data: points, stepped: 'after',
        borderColor: PALETTE[n % PALETTE.length], backgroundColor: PALETTE[n % PALETTE.length],
        borderWidth: chosen ? 4 : 2, pointRadius: 0 };
    });
    chart('survival-chart', { type: 'line', data: { datasets: datasets }, options: {
      responsive: true, maintainAspectRatio: false, animation: false, locale: 'fr-FR',
      scales: {
        x: { type: 'linear', title: { display: true, text: 'jours depuis l\'entrée en parcours' },
          ticks: { callback: (v) => numberFormat(0).format(v) } },
        y: { beginAtZero: true, max: 1, title: { display: true, text: 'part ayant trouvé un emploi' },
          ticks: { callback: (v) => pct0.format(v) } },
      },
      plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: {
        title: (items) => 'Jour ' + numberFormat(0).format(items[0].parsed.x),
        label: (c) => c.dataset.label + ' : ' + pct1.format(c.parsed.y) } } },
    } });
  }

  function renderQuality() {
    const q = META.quality;
    const rows = q.latest.filter((r) => state.antenna === ALL || r.antenna === state.antenna);
    const p = (v) => (v === null ? DASH : pct1.format(v));
    $('quality-table').querySelector('tbody').innerHTML = rows.map((r) =>
      '<tr data-antenna="' + esc(r.antenna) + '"><td>' + esc(r.label) + '</td><td>' + esc(r.month) +
      '</td><td class="num" data-value="' + (r.quality_score === null ? '' : r.quality_score) + '">' +
      p(r.quality_score) + '</td><td class="num">' + p(r.completeness_rate) + '</td><td class="num">' +
      p(r.validity_rate) + '</td><td class="num">' + p(r.consistency_rate) + '</td><td class="num">' +
      p(r.timeliness_rate) + '</td><td class="num">' + numberFormat(0).format(r.quarantined + r.stale_files) +
      '</td></tr>').join('');
    const fix = Object.keys(q.fixFirst).filter((a) => state.antenna === ALL || a === state.antenna);
    $('fix-first').innerHTML = fix.length ? fix.map((a) => '<div class="fix"><h4>' +
      esc(q.antennaLabels[a] || a) + '</h4><ol>' + q.fixFirst[a].map((i) =>
        '<li><span class="sev-' + i.rank + '">' + esc(i.rule) + '</span> — ' +
        numberFormat(0).format(i.count) + ' enregistrement' + (i.count > 1 ? 's' : '') +
        ' à corriger <span class="meta">(' + esc(i.dimension) + ', ' + esc(i.severity) + ')</span></li>')
        .join('') + '</ol></div>').join('')
      : '<p class="empty">Rien à corriger : aucune règle en échec.</p>';
    const antennas = Object.keys(q.series).filter((a) => state.antenna === ALL || a === state.antenna)
      .filter((a) => q.series[a].some((v) => v !== null));
    chart('quality-chart', { type: 'line', data: { labels: q.months, datasets: antennas.map((a, n) => ({
      label: q.antennaLabels[a] || a, data: q.series[a], spanGaps: true,
      borderColor: PALETTE[n % PALETTE.length], backgroundColor: PALETTE[n % PALETTE.length] })) },
    options: chartOptions({ type: 'rate' }, (v) => pct0.format(v), (v) => pct1.format(v)) });
  }

  function renderEvaluation() {
    const L = META.learning;
    const evals = L.evaluations.filter((e) => inScope(e.programme, e.antenna));
    $('evaluations-table').querySelector('tbody').innerHTML = evals.length ? evals.map((e) =>
      '<tr data-evaluation="' + esc(e.evaluation_id) + '"><td>' + esc(e.evaluation_id) + '</td><td>' +
      esc(e.programme_label) + ' — ' + esc(e.antenna_label) + '</td><td>' +
      esc(e.evaluation_type_label_fr) + ' (' + esc((e.evaluation_mode_label_fr || '').toLowerCase()) +
      ')</td><td>du ' + esc(fmtDate(e.planned_start)) + ' au ' + esc(fmtDate(e.planned_end)) + '</td><td>' +
      '<span class="status ' + (e.is_late ? 'late' : (e.is_due_within_90_days ? 'watch' : 'na')) + '">' +
      esc(e.status_label_fr) + (e.is_late ? ' — en retard' : (e.is_due_within_90_days ? ' — sous 90 jours' : '')) +
      '</span></td></tr>').join('')
      : '<tr><td colspan="5" class="empty">Aucune évaluation prévue pour ce périmètre.</td></tr>';
    const recs = L.recommendations.filter((r) => inScope(r.programme, r.antenna));
    const overdue = recs.filter((r) => r.is_overdue);
    const others = recs.length - overdue.length;
    $('recommendations').innerHTML = (overdue.length ? overdue.map((r) =>
      '<div class="item late" data-recommendation="' + esc(r.recommendation_id) + '"><p>' + esc(r.text) +
      '</p><p class="meta">' + esc(r.recommendation_id) + ' · ' + esc(r.programme_label) + ' — ' +
      esc(r.antenna_label) + ' · ' + esc(r.owner_label) + ' · échéance ' + esc(fmtDate(r.due_date)) +
      ', ' + numberFormat(0).format(r.days_overdue) + NBSP + 'jours de retard · ' + esc(r.status_label_fr) +
      (r.priority_label_fr ? ' · priorité ' + esc(r.priority_label_fr.toLowerCase()) : '') + '</p></div>').join('')
      : '<p class="empty">Aucune recommandation en retard pour ce périmètre.</p>') +
      (others > 0 ? '<p class="meta">' + numberFormat(0).format(others) + ' autre' + (others > 1 ? 's' : '') +
        ' recommandation' + (others > 1 ? 's' : '') + ' ouverte' + (others > 1 ? 's' : '') + ' dans les délais.</p>' : '');
    const lessons = L.lessons.filter((l) => inScope(l.programme, l.antenna));
    $('lessons').innerHTML = lessons.length ? lessons.map((l) =>
      '<div class="item" data-lesson="' + esc(l.lesson_id) + '"><p><strong>' + esc(l.title) + '</strong></p>' +
      (l.text ? '<p>' + esc(l.text) + '</p>' : '') + '<p class="meta">' + esc(fmtDate(l.lesson_date)) +
      ' · ' + esc(l.lesson_type_label_fr) + ' · ' + esc(l.programme_label) + ' — ' + esc(l.antenna_label) +
      '</p></div>').join('')
      : '<p class="empty">Aucun enseignement récent pour ce périmètre.</p>';
  }

  function update() {
    renderKey();
    renderTrend();
    renderBreakdown();
    renderOutcomes();
    renderSurvival();
    renderQuality();
    renderEvaluation();
    document.body.dataset.ready = '1';
  }

  async function start() {
    const asOf = $('as-of');
    asOf.textContent = fmtDate(META.asOf);
    asOf.dataset.value = META.asOf;
    const published = $('published-at');
    published.textContent = fmtDate(META.publishedAt, true) + ' (heure de Paris)';
    published.dataset.value = META.publishedAt;
    $('status-legend').innerHTML = STATUS.legend.map((l) => '<li>' + esc(l) + '</li>').join('');
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = '#1d2733';
    await decode();
    setupFilters();
    update();
  }

  start().catch((err) => {
    const main = document.querySelector('main');
    main.innerHTML = '<p class="empty">Le tableau de bord n\'a pas pu s\'afficher : ' + esc(err.message) +
      '. Ouvrir le fichier avec un navigateur récent (Edge, Chrome, Firefox).</p>';
    console.error(err);
  });
})();
