// The RFT dashboard: reads the public /v1/fine_tuning/jobs API (the one source of truth) with the caller's API key and
// redraws while a job runs. Hand-written, no build step, no external code; charts are plain SVG. Every value from the
// API reaches the page through textContent or attributes, never as HTML.
'use strict';

(() => {
  const KEY_STORAGE = 'rft.apiKey';
  const ACTIVE_POLL_MS = 1500;
  const IDLE_POLL_MS = 5000;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  // Okabe-Ito: distinguishable with the common colour-vision deficiencies.
  const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
  const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

  const state = {
    key: null,
    generation: 0, // bumped on every navigation or key change, so a stale poll loop stops
    timer: null,
    jobId: null,
    events: new Map(), // id -> event, for the job on screen
    lastStatus: null,
  };

  // ---- small DOM helpers -------------------------------------------------------------------------------------------
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAll(node, attrs, children);
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAll(node, attrs, children);
    return node;
  }

  function setAll(node, attrs, children) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'text') node.textContent = String(value);
      else node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  function fmt(value) {
    if (typeof value !== 'number' || !Number.isFinite(value)) return String(value);
    if (value === 0) return '0';
    const abs = Math.abs(value);
    if (abs >= 1e5 || abs < 1e-3) return value.toExponential(2);
    if (Number.isInteger(value)) return String(value);
    return String(Number(value.toPrecision(4)));
  }

  function time(unixSeconds) {
    if (!unixSeconds) return '';
    return new Date(unixSeconds * 1000).toISOString().replace('T', ' ').slice(0, 19);
  }

  function statusBadge(status) {
    return el('span', { class: 'status status-' + status, text: status });
  }

  function progress(job) {
    const total = job.total_steps || 0;
    const done = job.trained_steps || 0;
    if (!total) return el('span', { class: 'muted', text: '\u2014' });
    return el('span', {},
      el('progress', { max: total, value: done, 'aria-label': `${done} of ${total} steps` }),
      ` ${done}/${total}`);
  }

  // ---- messages ----------------------------------------------------------------------------------------------------
  function showAlert(message) {
    const alert = $('alert');
    alert.textContent = message;
    alert.hidden = false;
  }

  function clearAlert() {
    $('alert').hidden = true;
    $('alert').textContent = '';
  }

  function stamp() {
    $('updated').textContent = 'Updated ' + new Date().toISOString().slice(11, 19) + ' UTC';
  }

  // ---- the API -----------------------------------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, message, code) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(path) {
    let response;
    try {
      response = await fetch('/v1' + path, { headers: { Authorization: 'Bearer ' + state.key }, cache: 'no-store' });
    } catch (e) {
      throw new ApiError(0, `cannot reach the API (${e.message}); retrying`);
    }
    if (response.ok) return response.json();
    let message = response.statusText;
    let code = null;
    try {
      const body = await response.json();
      message = body.error.message || message;
      code = body.error.code || null;
    } catch {
      // Not OpenAI's error envelope (a proxy's page, say): the status text is all there is.
    }
    throw new ApiError(response.status, message, code);
  }

  function explain(error) {
    if (error.status === 401) {
      return `The API refused the key (401${error.code ? ' ' + error.code : ''}): ${error.message} ` +
        'Enter a valid API key above: one from "rft keys create --project NAME", or the local development key ' +
        '(setting Rft__DevelopmentApiKey).';
    }
    if (error.status === 0) return 'The API is unreachable: ' + error.message;
    return `The API answered ${error.status}${error.code ? ' (' + error.code + ')' : ''}: ${error.message}`;
  }

  // ---- the key: #key=... or ?key=... once, then localStorage ---------------------------------------------------------
  function readKeyFromUrl() {
    const hash = new URLSearchParams(location.hash.slice(1));
    const query = new URLSearchParams(location.search);
    const key = hash.get('key') || query.get('key');
    if (!key) return;
    localStorage.setItem(KEY_STORAGE, key);
    // Drop the key from the address bar and history, keeping the rest of the route.
    hash.delete('key');
    query.delete('key');
    const search = query.toString();
    const rest = hash.toString();
    history.replaceState(null, '', location.pathname + (search ? '?' + search : '') + (rest ? '#' + rest : ''));
  }

  // ---- routing -----------------------------------------------------------------------------------------------------
  function route() {
    state.generation++;
    // A pasted address with #key=... replaces the stored key, on a fresh load or in an open tab.
    readKeyFromUrl();
    state.key = localStorage.getItem(KEY_STORAGE);
    clearTimeout(state.timer);
    const jobId = new URLSearchParams(location.hash.slice(1)).get('job');
    $('jobs-view').hidden = !!jobId;
    $('job-view').hidden = !jobId;
    if (!state.key) {
      showAlert('Enter an API key above to see this project\'s jobs (the local development key works too).');
      $('key-input').focus();
      return;
    }
    clearAlert();
    if (jobId) startJob(jobId);
    else startJobs();
  }

  function loop(generation, work) {
    const tick = async () => {
      if (generation !== state.generation) return;
      let delay;
      try {
        delay = await work();
        if (generation !== state.generation) return;
        clearAlert();
        stamp();
      } catch (error) {
        if (generation !== state.generation) return;
        showAlert(explain(error));
        // A refused key stays refused: wait for a new one instead of hammering the API.
        if (error.status === 401) {
          $('key-input').focus();
          return;
        }
        delay = IDLE_POLL_MS;
      }
      state.timer = setTimeout(tick, delay);
    };
    tick();
  }

  // ---- the jobs list -----------------------------------------------------------------------------------------------
  function startJobs() {
    document.title = 'Jobs \u2013 RFT dashboard';
    loop(state.generation, async () => {
      const jobs = [];
      let after = null;
      // Every page, newest first (the list is small: one row per job of the project).
      for (let page = 0; page < 20; page++) {
        const query = new URLSearchParams({ limit: '100' });
        if (after) query.set('after', after);
        const list = await api('/fine_tuning/jobs?' + query);
        jobs.push(...list.data);
        if (!list.has_more || list.data.length === 0) break;
        after = list.data[list.data.length - 1].id;
      }
      renderJobs(jobs);
      return jobs.some((job) => !TERMINAL.has(job.status)) ? ACTIVE_POLL_MS * 2 : IDLE_POLL_MS;
    });
  }

  function renderJobs(jobs) {
    const rows = jobs.map((job) => el('tr', { 'data-job-id': job.id, 'data-status': job.status },
      el('td', {}, el('a', { href: '#job=' + encodeURIComponent(job.id), class: 'mono', text: job.id })),
      el('td', { class: 'mono', text: job.model }),
      el('td', {}, statusBadge(job.status)),
      el('td', {}, progress(job)),
      el('td', { text: time(job.created_at) }),
      el('td', { class: 'mono', text: job.fine_tuned_model || '' })));
    $('jobs').tBodies[0].replaceChildren(...rows);
    $('jobs-empty').hidden = jobs.length > 0;
  }

  // ---- one job -----------------------------------------------------------------------------------------------------
  function startJob(jobId) {
    if (state.jobId !== jobId) {
      state.jobId = jobId;
      state.events = new Map();
      state.lastStatus = null;
      $('job-summary').replaceChildren();
      $('charts').replaceChildren();
      $('events').tBodies[0].replaceChildren();
      $('health').tBodies[0].replaceChildren();
      $('checkpoints').tBodies[0].replaceChildren();
    }
    $('job-title').textContent = jobId;
    document.title = jobId + ' \u2013 RFT dashboard';
    const path = '/fine_tuning/jobs/' + encodeURIComponent(jobId);
    loop(state.generation, async () => {
      const job = await api(path);
      // A status change may come with events written out of order (a replayed step, a checkpoint evaluated late):
      // read the whole log again then; otherwise only what is newer than what the page has.
      const full = job.status !== state.lastStatus;
      const fresh = await newEvents(path, full);
      const checkpoints = await allPages(path + '/checkpoints');
      renderSummary(job);
      renderCheckpoints(checkpoints);
      if (fresh) {
        renderEvents();
        renderHealth();
        renderCharts();
      }
      state.lastStatus = job.status;
      return TERMINAL.has(job.status) ? IDLE_POLL_MS : ACTIVE_POLL_MS;
    });
  }

  async function allPages(path) {
    const items = [];
    let after = null;
    for (let page = 0; page < 50; page++) {
      const query = new URLSearchParams({ limit: '100' });
      if (after) query.set('after', after);
      const list = await api(path + '?' + query);
      items.push(...list.data);
      if (!list.has_more || list.data.length === 0) break;
      after = list.data[list.data.length - 1].id;
    }
    return items;
  }

  // Events come newest first; page with `after` until an event the page already has (or the end). Returns whether
  // anything changed.
  async function newEvents(path, full) {
    let changed = false;
    let after = null;
    for (let page = 0; page < 200; page++) {
      const query = new URLSearchParams({ limit: '100' });
      if (after) query.set('after', after);
      const list = await api(path + '/events?' + query);
      let reachedKnown = false;
      for (const event of list.data) {
        if (state.events.has(event.id) && !full) {
          reachedKnown = true;
          break;
        }
        const before = state.events.get(event.id);
        if (!before || JSON.stringify(before) !== JSON.stringify(event)) changed = true;
        state.events.set(event.id, event);
      }
      if (reachedKnown || !list.has_more || list.data.length === 0) break;
      after = list.data[list.data.length - 1].id;
    }
    return changed;
  }

  function sortedEvents() {
    // Ids sort newest first (fixed-width keys), as the API lists them.
    return [...state.events.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  function renderSummary(job) {
    const rows = [
      ['Status', statusBadge(job.status)],
      ['Progress', progress(job)],
      ['Model', job.model],
      ['Fine-tuned model', job.fine_tuned_model || '\u2014'],
      ['Created', time(job.created_at) + ' UTC'],
      ['Finished', job.finished_at ? time(job.finished_at) + ' UTC' : '\u2014'],
      ['Training file', job.training_file || '\u2014'],
      ['Validation file', job.validation_file || '\u2014'],
      ['Trained tokens', job.trained_tokens ?? '\u2014'],
      ['Seed', job.seed ?? '\u2014'],
    ];
    const reinforcement = job.method && job.method.reinforcement;
    if (reinforcement && reinforcement.grader) {
      rows.push(['Grader', `${reinforcement.grader.type}${reinforcement.grader.name ? ' "' + reinforcement.grader.name + '"' : ''}`]);
    }
    if (reinforcement && reinforcement.hyperparameters) {
      rows.push(['Hyperparameters', el('code', { text: JSON.stringify(reinforcement.hyperparameters) })]);
    }
    if (job.error && job.error.message) {
      rows.push(['Error', `${job.error.code || 'error'}: ${job.error.message}`]);
    }
    const items = rows.flatMap(([name, value]) => [el('dt', { text: name }), el('dd', {}, value)]);
    const summary = $('job-summary');
    summary.replaceChildren(...items);
    summary.dataset.status = job.status;
    summary.dataset.trainedSteps = String(job.trained_steps || 0);
  }

  function renderCheckpoints(checkpoints) {
    const rows = [...checkpoints].sort((a, b) => b.step_number - a.step_number).map((c) => {
      const metrics = Object.entries(c.metrics || {}).sort(([a], [b]) => (a === 'valid_reward_mean' ? -1 : b === 'valid_reward_mean' ? 1 : a.localeCompare(b)));
      return el('tr', { 'data-checkpoint-id': c.id, 'data-step': c.step_number },
        el('td', { class: 'num', text: c.step_number }),
        el('td', { class: 'mono', text: c.fine_tuned_model_checkpoint }),
        el('td', { text: time(c.created_at) }),
        el('td', { class: 'mono', text: metrics.map(([k, v]) => `${k}=${fmt(v)}`).join('  ') || '\u2014' }));
    });
    $('checkpoints').tBodies[0].replaceChildren(...rows);
    $('checkpoints-empty').hidden = rows.length > 0;
  }

  function renderEvents() {
    const rows = sortedEvents().map((e) => el('tr', { 'data-event-id': e.id, 'data-type': e.type, class: 'level-' + e.level },
      el('td', { text: time(e.created_at) }),
      el('td', { text: e.level }),
      el('td', { text: e.message })));
    $('events').tBodies[0].replaceChildren(...rows);
  }

  // ---- health monitors ---------------------------------------------------------------------------------------------
  // A monitor's firing is a warn event whose data.code starts with "monitor." (one per detector and step).
  function firings() {
    const byKey = new Map();
    for (const e of sortedEvents()) {
      const d = e.data;
      if (!d || typeof d.code !== 'string' || !d.code.startsWith('monitor.') || typeof d.step !== 'number') continue;
      byKey.set(d.code + '@' + d.step, d);
    }
    return [...byKey.values()].sort((a, b) => a.step - b.step || (a.code < b.code ? -1 : 1));
  }

  function renderHealth() {
    const list = firings();
    $('health-empty').hidden = list.length > 0;
    const message = (d) => {
      const event = sortedEvents().find((e) => e.data === d);
      return event ? event.message : d.code;
    };
    $('health').tBodies[0].replaceChildren(...list.map((d) => el('tr', { 'data-code': d.code, 'data-step': d.step, class: 'level-warn' },
      el('td', { text: d.step }),
      el('td', { text: d.code }),
      el('td', { text: d.action || 'warn' }),
      el('td', { text: message(d) }),
      el('td', { class: 'samples', text: (Array.isArray(d.samples) ? d.samples : []).map((s) => `${s.id} (reward ${fmt(s.reward)}): ${s.excerpt}`).join('\n') }))));
  }

  // ---- metrics -----------------------------------------------------------------------------------------------------
  // One metrics event per step (a replayed step rewrites the same event); the newest wins if two claim a step.
  function metricsByStep() {
    const byStep = new Map();
    for (const event of sortedEvents().reverse()) {
      if (event.type !== 'metrics' || !event.data || typeof event.data.step !== 'number') continue;
      byStep.set(event.data.step, event.data);
    }
    return [...byStep.values()].sort((a, b) => a.step - b.step);
  }

  // Numeric leaves by dotted path; array items with a name (the sub-graders) are keyed by it, others by index.
  function flatten(value, prefix, out) {
    if (typeof value === 'number' && Number.isFinite(value)) out.set(prefix, value);
    else if (Array.isArray(value)) {
      value.forEach((item, i) => flatten(item, `${prefix}.${item && typeof item.name === 'string' ? item.name : i}`, out));
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    }
    return out;
  }

  const FIXED_CHARTS = [
    ['reward', 'Reward (mean)', [['scores.train_reward_mean', 'train'], ['scores.valid_reward_mean', 'valid']]],
    ['kl', 'KL divergence to the reference', [['diagnostics.kl', 'kl']]],
    ['entropy', 'Entropy', [['diagnostics.entropy', 'entropy']]],
    ['completion_length', 'Completion length (tokens)', [['diagnostics.completion_length_mean', 'mean'], ['diagnostics.completion_length_max', 'max']]],
    ['loss', 'Loss', [['diagnostics.loss', 'loss']]],
    ['grad_norm', 'Gradient norm', [['diagnostics.grad_norm', 'grad norm']]],
    ['lr', 'Learning rate', [['diagnostics.lr', 'lr']]],
    ['clip', 'Clipped ratios', [['diagnostics.clip_ratio_low', 'low'], ['diagnostics.clip_ratio_high', 'high']]],
    ['groups', 'Reward spread and truncation', [['diagnostics.reward_std', 'reward std'], ['diagnostics.frac_reward_zero_std', 'zero-std groups'], ['diagnostics.clipped_fraction', 'truncated']]],
    ['tokens', 'Completion tokens per step', [['usage.completion_tokens', 'tokens']]],
    ['timing', 'Step time (s)', [['timing.step.full_iteration', 'step'], ['timing.step.sampling', 'sampling'], ['timing.step.grading', 'grading'], ['timing.step.training', 'training'], ['timing.step.eval', 'eval'], ['timing.step.orchestration', 'orchestration']]],
  ];

  // Paths shown elsewhere or not worth a chart of their own.
  const NOT_CHARTED = new Set(['step', 'total_steps', 'diagnostics.tokens']);

  function chartDefinitions(rows) {
    const paths = new Set();
    for (const row of rows) for (const path of row.values.keys()) paths.add(path);
    const covered = new Set(NOT_CHARTED);
    const charts = [];
    const add = (id, title, series) => {
      const present = series.filter(([path]) => paths.has(path));
      for (const [path] of series) covered.add(path);
      if (present.length) charts.push({ id, title, series: present });
    };
    add(...FIXED_CHARTS[0]);
    // Per sub-grader reward: scores.graders.<name>.{train,valid}_reward_mean.
    const graders = [...new Set([...paths].filter((p) => p.startsWith('scores.graders.')).map((p) => p.split('.')[2]))].sort();
    // One colour per grader; its valid line is dashed.
    add('graders', 'Reward per grader', graders.flatMap((g, i) => [
      [`scores.graders.${g}.train_reward_mean`, `${g} train`, i],
      [`scores.graders.${g}.valid_reward_mean`, `${g} valid`, i],
    ]));
    for (const definition of FIXED_CHARTS.slice(1)) add(...definition);
    // Grader error rates (the counts carry the same information).
    const errorPaths = [...paths].filter((p) => p.startsWith('errors.')).sort();
    add('errors', 'Grader error rate', errorPaths.filter((p) => p.endsWith('_mean')).map((p) => [p, p.split('.').pop().replace(/_mean$/, '').replace(/_/g, ' ')]));
    errorPaths.forEach((p) => covered.add(p));
    // Anything else the metrics event carries gets a chart of its own, so a new metric shows up without a page change.
    for (const path of [...paths].filter((p) => !covered.has(p) && !p.startsWith('scores.graders.')).sort()) {
      charts.push({ id: 'other-' + path, title: path, series: [[path, path.split('.').pop()]] });
    }
    return charts;
  }

  function renderCharts() {
    const metrics = metricsByStep();
    $('charts-empty').hidden = metrics.length > 0;
    if (!metrics.length) {
      $('charts').replaceChildren();
      return;
    }
    const rows = metrics.map((data) => ({ step: data.step, values: flatten(data, '', new Map()) }));
    const totalSteps = Math.max(...metrics.map((m) => m.total_steps || 0), ...rows.map((r) => r.step));
    const marks = firings();
    const figures = chartDefinitions(rows).map((chart) => renderChart(chart, rows, totalSteps, marks));
    $('charts').replaceChildren(...figures);
  }

  function niceDomain(values) {
    let min = Math.min(...values);
    let max = Math.max(...values);
    if (min >= 0 && min <= max / 2) min = 0;
    if (min === max) {
      if (min === 0) return [0, 1];
      const pad = Math.abs(min) * 0.1;
      return [min - pad, max + pad];
    }
    const pad = (max - min) * 0.06;
    return [min === 0 ? 0 : min - pad, max + pad];
  }

  function renderChart(chart, rows, totalSteps, marks = []) {
    const width = 360;
    const height = 170;
    const left = 46;
    const right = 10;
    const top = 8;
    const bottom = 22;
    const all = chart.series.flatMap(([path]) => rows.filter((r) => r.values.has(path)).map((r) => r.values.get(path)));
    const [y0, y1] = niceDomain(all);
    const x0 = 1;
    const x1 = Math.max(totalSteps, 2);
    const x = (step) => left + ((step - x0) / (x1 - x0)) * (width - left - right);
    const y = (value) => top + (1 - (value - y0) / (y1 - y0)) * (height - top - bottom);
    const last = chart.series.map(([path, label]) => {
      const r = [...rows].reverse().find((row) => row.values.has(path));
      return r ? `${label} ${fmt(r.values.get(path))} at step ${r.step}` : null;
    }).filter(Boolean).join(', ');

    const plot = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${chart.title}: ${last}` });
    // Enough significant digits that the three tick labels differ even when the values barely move (entropy, say).
    const digits = Math.min(10, Math.max(3, Math.ceil(Math.log10(Math.max(Math.abs(y0), Math.abs(y1)) / (y1 - y0))) + 2));
    for (const value of [y0, (y0 + y1) / 2, y1]) {
      const abs = Math.abs(value);
      const label = value === 0 ? '0' : abs >= 1e5 || abs < 1e-3 ? value.toExponential(2) : String(Number(value.toPrecision(digits)));
      plot.append(svg('line', { class: 'gridline', x1: left, x2: width - right, y1: y(value), y2: y(value) }));
      plot.append(svg('text', { x: left - 4, y: y(value) + 3, 'text-anchor': 'end', text: label }));
    }
    plot.append(svg('line', { class: 'axis', x1: left, x2: width - right, y1: height - bottom, y2: height - bottom }));
    plot.append(svg('line', { class: 'axis', x1: left, x2: left, y1: top, y2: height - bottom }));
    plot.append(svg('text', { x: x(x0), y: height - 6, 'text-anchor': 'start', text: `step ${x0}` }));
    plot.append(svg('text', { x: x(x1), y: height - 6, 'text-anchor': 'end', text: `${x1}` }));

    // Health monitor firings: a marked step on every chart (details in the Health panel).
    for (const d of marks) {
      if (d.step < x0 || d.step > x1) continue;
      const mark = svg('g', { class: 'monitor', 'data-step': d.step, 'data-code': d.code },
        svg('title', { text: `step ${d.step}: ${d.code}` }));
      mark.append(svg('line', { class: 'monitor-mark', x1: x(d.step), x2: x(d.step), y1: top, y2: height - bottom }));
      mark.append(svg('circle', { class: 'monitor-flag', cx: x(d.step), cy: top + 3, r: 3 }));
      plot.append(mark);
    }

    const legend = el('ul', { class: 'legend' });
    chart.series.forEach(([path, label, colorIndex], i) => {
      const color = COLORS[(colorIndex ?? i) % COLORS.length];
      const points = rows.filter((r) => r.values.has(path)).map((r) => ({ step: r.step, value: r.values.get(path) }));
      const group = svg('g', { class: 'series' + (/valid/.test(label) ? ' dashed' : ''), 'data-series': path, 'data-label': label });
      group.append(svg('polyline', { stroke: color, points: points.map((p) => `${x(p.step).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ') }));
      for (const p of points) {
        group.append(svg('circle', { cx: x(p.step).toFixed(1), cy: y(p.value).toFixed(1), r: 2.6, fill: color, 'data-step': p.step, 'data-value': p.value },
          svg('title', { text: `step ${p.step}: ${label} ${fmt(p.value)}` })));
      }
      plot.append(group);
      const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
      // Through the CSSOM: the page's Content-Security-Policy refuses inline style attributes.
      swatch.style.background = color;
      legend.append(el('li', {}, swatch, label));
    });

    // The numbers behind the chart, for screen readers and copying.
    const table = el('table', {},
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'step' }), ...chart.series.map(([, label]) => el('th', { scope: 'col', text: label })))),
      el('tbody', {}, ...rows.map((r) => el('tr', {}, el('td', { text: r.step }),
        ...chart.series.map(([path]) => el('td', { text: r.values.has(path) ? fmt(r.values.get(path)) : '' }))))));
    const figure = el('figure', { class: 'chart', 'data-chart': chart.id },
      el('figcaption', { text: chart.title }), plot, legend, el('details', {}, el('summary', { text: 'Data' }), table));
    return figure;
  }

  // ---- start -------------------------------------------------------------------------------------------------------
  function start() {
    $('key-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const value = $('key-input').value.trim();
      if (!value) return;
      localStorage.setItem(KEY_STORAGE, value);
      state.key = value;
      $('key-input').value = '';
      route();
    });
    window.addEventListener('hashchange', route);
    route();
  }

  start();
})();
