// backprop playground: the page of `backprop serve`.
//
// Everything it shows comes from the server's JSON API (docs/api.md): the
// training, the gradients and the backward sweep are computed in Rust, on the
// project's own tape. This file only asks, draws and keeps the configuration
// in the URL. No libraries, no network access beyond the server.
'use strict';

// ---------------------------------------------------------------------------
// Words, in English and in Portuguese (the seed notebook's language).
const WORDS = {
  en: {
    playground: 'playground',
    tagline: 'Train a network and watch backpropagation happen: the training runs in Rust, on the tape the walkthrough uses.',
    preset: 'Notebook preset', language: 'Language', run: 'Run', play: 'Play', pause: 'Pause',
    step: 'Step', reset: 'Reset', speed: 'Steps per tick', data: 'Data', dataset: 'Data set',
    samples: 'Points', noise: 'Noise', test_fraction: 'Test fraction',
    upload: 'Your CSV (x, y, label)', preset_data: "XOR's four points, as in the notebook.",
    network: 'Network', activation: 'Activation', bias: 'Biases', loss: 'Loss', optimizer: 'Optimizer',
    batch_size: 'Batch size (0: all)', dtype: 'Precision', lr: 'Learning rate', seed: 'Seed',
    leave_preset: 'Back to the playground', network_picture: 'The network', edges_show: 'Edges show',
    net_hint: 'Blue is positive, orange negative; an edge\'s width is its size. Each neuron shows its output over the input plane. Click an edge to see how its gradient was assembled.',
    grad_norms: 'Gradient size per layer, ‖∂L/∂W‖ (log scale)', output: 'Output',
    train_points: 'training points', test_points: 'test points', steps: 'Step',
    loss_train: 'Training loss', acc_train: 'Training accuracy', loss_test: 'Test loss', acc_test: 'Test accuracy',
    backward: 'Backward pass, node by node',
    backward_hint: 'The last step\'s reverse sweep, in the order the tape visited the nodes: each node receives ∂L/∂(node) and sends its inputs their share, by its op\'s rule.',
    weight: 'A weight, up close', weight_hint: 'Click an edge of the network.',
    permalink: 'Link to this run', api: 'The page uses the JSON API of docs/api.md.',
    no_step: 'Take a step: the backward pass appears here.',
    node: 'node', of: 'of', received: 'Received ∂L/∂(node)', sends: 'Sends to', no_grad: 'no gradient needed',
    rule: 'rule', hidden_layers: 'hidden layers', hidden_layer: 'hidden layer', value: 'value', gradient: 'gradient (last step)',
    assembled: 'How the gradient was assembled: one term per example (and per path), the product of the local factors on the chain from the loss back to this weight.',
    example: 'example', factors: 'factors', product: 'product', sum: 'sum', equals_tape: 'the tape\'s gradient',
    shown_of: 'terms shown of', before_step: 'before the first step there is no gradient yet',
    printed: 'As NumPy prints them', weights_of: 'W', grads_of: '∂L/∂W', fps: 'redraws/s',
    uploaded: 'uploaded', recreated: 'The server had forgotten this session; it was made again from the link.',
    train_curve: 'training', test_curve: 'test', batch_curve: 'batch', log_scale: 'loss (log scale)',
    pytorch_name: 'in PyTorch', step_word: 'step',
  },
  pt: {
    playground: 'playground',
    tagline: 'Treine uma rede e veja a retropropagação acontecer: o treino corre em Rust, na mesma fita do walkthrough.',
    preset: 'Rede do caderno', language: 'Idioma', run: 'Execução', play: 'Treinar', pause: 'Pausar',
    step: 'Um passo', reset: 'Recomeçar', speed: 'Passos por tique', data: 'Dados', dataset: 'Conjunto',
    samples: 'Pontos', noise: 'Ruído', test_fraction: 'Fração de teste',
    upload: 'Seu CSV (x, y, rótulo)', preset_data: 'Os quatro pontos do XOR, como no caderno.',
    network: 'Rede', activation: 'Ativação', bias: 'Vieses', loss: 'Perda', optimizer: 'Otimizador',
    batch_size: 'Lote (0: todos)', dtype: 'Precisão', lr: 'Taxa de aprendizado', seed: 'Semente',
    leave_preset: 'Voltar ao playground', network_picture: 'A rede', edges_show: 'Arestas mostram',
    net_hint: 'Azul é positivo, laranja negativo; a largura da aresta é o seu tamanho. Cada neurônio mostra a sua saída sobre o plano de entrada. Clique numa aresta para ver como o seu gradiente foi montado.',
    grad_norms: 'Tamanho do gradiente por camada, ‖∂L/∂W‖ (escala log)', output: 'Saída',
    train_points: 'pontos de treino', test_points: 'pontos de teste', steps: 'Passo',
    loss_train: 'Perda de treino', acc_train: 'Acurácia de treino', loss_test: 'Perda de teste', acc_test: 'Acurácia de teste',
    backward: 'Retropropagação, nó a nó',
    backward_hint: 'A varredura reversa do último passo, na ordem em que a fita visitou os nós: cada nó recebe ∂L/∂(nó) e envia às suas entradas a sua parte, pela regra da sua operação.',
    weight: 'Um peso, de perto', weight_hint: 'Clique numa aresta da rede.',
    permalink: 'Link para esta execução', api: 'A página usa a API JSON de docs/api.md.',
    no_step: 'Dê um passo: a retropropagação aparece aqui.',
    node: 'nó', of: 'de', received: 'Recebeu ∂L/∂(nó)', sends: 'Envia a', no_grad: 'não precisa de gradiente',
    rule: 'regra', hidden_layers: 'camadas ocultas', hidden_layer: 'camada oculta', value: 'valor', gradient: 'gradiente (último passo)',
    assembled: 'Como o gradiente foi montado: um termo por exemplo (e por caminho), o produto dos fatores locais na cadeia da perda até este peso.',
    example: 'exemplo', factors: 'fatores', product: 'produto', sum: 'soma', equals_tape: 'o gradiente da fita',
    shown_of: 'termos mostrados de', before_step: 'antes do primeiro passo ainda não há gradiente',
    printed: 'Como o NumPy os imprime', weights_of: 'W', grads_of: '∂L/∂W', fps: 'redesenhos/s',
    uploaded: 'enviado', recreated: 'O servidor tinha esquecido esta sessão; ela foi recriada a partir do link.',
    train_curve: 'treino', test_curve: 'teste', batch_curve: 'lote', log_scale: 'perda (escala log)',
    pytorch_name: 'no PyTorch', step_word: 'passo',
  },
};

const $ = (id) => document.getElementById(id);
const S = {
  lang: 'en',
  cfg: {},            // the configuration as the URL gives it
  config: null,       // the server's resolved configuration
  id: null,           // the session's id
  playing: false,
  events: null,       // EventSource while playing
  report: null,       // the last step report
  reports: [],        // [step, loss, test_loss] seen by this page
  state: null, boundary: null, points: null, backward: null,
  node: 0,            // position in the backward sweep
  edges: 'w',         // 'w' or 'grad'
  sel: null,          // selected weight {k, i, j}: W_k[i, j], notebook orientation
  trace: null,
  fetching: false, again: false, dirty: true,
  frames: 0, fps: 0, ticks: 0, rafFps: 0, drawMs: 0, fpsSince: performance.now(),
};
const t = (key) => (WORDS[S.lang] && WORDS[S.lang][key]) || WORDS.en[key] || key;

// ---------------------------------------------------------------------------
// Numbers as NumPy prints an array's elements (8 decimals, trailing zeros
// dropped, exponent form for very small or large magnitudes).
function npfmt(v) {
  if (v === null || v === undefined) return '–';
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : (v > 0 ? 'inf' : '-inf');
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) {
    const [m, e] = v.toExponential(8).split('e');
    const exp = Number(e);
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  let s = v.toFixed(8).replace(/0+$/, '');
  return s;
}
const short = (v) => (v === null || v === undefined || !Number.isFinite(v)) ? '–' : Number(v.toPrecision(6)).toString();

// ---------------------------------------------------------------------------
// The configuration lives in the URL, so that a link reproduces the run.
const FIELDS = ['dataset', 'samples', 'noise', 'test_fraction', 'layers', 'activation', 'bias',
  'loss', 'optimizer', 'lr', 'batch_size', 'seed', 'init', 'dtype'];
const NUMERIC = new Set(['samples', 'noise', 'test_fraction', 'lr', 'batch_size', 'seed']);

function readUrl() {
  const q = new URLSearchParams(location.search);
  S.lang = q.get('lang') === 'pt' ? 'pt' : 'en';
  const speed = q.get('speed');
  if (speed) $('speed').value = speed;
  const cfg = {};
  if (q.get('preset') === 'notebook') {
    cfg.preset = 'notebook';
    for (const f of ['seed', 'lr']) if (q.has(f)) cfg[f] = Number(q.get(f));
    if (q.has('layers')) cfg.layers = q.get('layers').split(',').map(Number);
    return cfg;
  }
  for (const f of FIELDS) {
    if (!q.has(f)) continue;
    const v = q.get(f);
    if (f === 'layers') cfg.layers = v.split(',').map(Number);
    else if (f === 'bias') cfg.bias = v === 'true' || v === '1';
    else if (NUMERIC.has(f)) cfg[f] = Number(v);
    else cfg[f] = v;
  }
  if (!('test_fraction' in cfg) && !String(cfg.dataset || '').startsWith('upload:')) cfg.test_fraction = 0.2; // hold out a test set unless told
  return cfg;
}

function writeUrl() {
  const q = new URLSearchParams();
  const c = S.config;
  if (c && c.preset) {
    q.set('preset', 'notebook');
    q.set('seed', c.seed); q.set('lr', c.lr); q.set('layers', c.layers.join(','));
  } else if (c) {
    for (const f of FIELDS) {
      if (f === 'layers') q.set(f, c.layers.join(','));
      else q.set(f, String(c[f]));
    }
  }
  q.set('speed', $('speed').value);
  if (S.lang !== 'en') q.set('lang', S.lang);
  const url = `${location.pathname}?${q}`;
  history.replaceState(null, '', url);
  $('permalink').href = url;
}

// ---------------------------------------------------------------------------
// The API. A session the server no longer knows (expired, or the server
// restarted) is made again from the URL, without an error.
async function request(method, path, body, raw) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.body = raw ? body : JSON.stringify(body);
    if (!raw) init.headers['content-type'] = 'application/json';
  }
  const r = await fetch(path, init);
  let data = null;
  try { data = await r.json(); } catch (_) { data = { error: `${r.status} ${r.statusText}` }; }
  return { status: r.status, ok: r.ok, data };
}

async function call(method, tail, body) {
  for (let attempt = 0; ; attempt++) {
    if (!S.id) await createSession();
    const r = await request(method, `/api/sessions/${S.id}${tail}`, body);
    if (r.status === 404 && attempt === 0 && /session/.test(r.data.error || '')) {
      S.id = null;
      await createSession();
      say(t('recreated'), 'info');
      continue;
    }
    if (!r.ok) throw new Error(r.data.error || `HTTP ${r.status}`);
    return r.data;
  }
}

async function createSession() {
  const old = S.id;
  const r = await request('POST', '/api/sessions', S.cfg);
  if (!r.ok) {
    // A link with a bad or stale field (an expired upload, say): say so, and
    // fall back to the defaults rather than leave the page empty.
    say(r.data.error || `HTTP ${r.status}`);
    if (Object.keys(S.cfg).length === 0) throw new Error(r.data.error);
    S.cfg = {};
    return createSession();
  }
  S.id = r.data.id;
  S.config = r.data.config;
  S.cfg = cfgOf(S.config);
  if (old && old !== S.id) request('DELETE', `/api/sessions/${old}`).catch(() => {});
  S.reports = []; S.report = null; S.state = null; S.boundary = null; S.points = null;
  S.backward = null; S.node = 0; S.sel = null; S.trace = null;
  document.body.classList.toggle('preset', !!S.config.preset);
  fillControls();
  writeUrl();
  S.points = await request('GET', `/api/sessions/${S.id}/points`).then((p) => p.data);
}

/// The request that makes the same session again.
function cfgOf(c) {
  if (c.preset) return { preset: 'notebook', seed: c.seed, lr: c.lr, layers: c.layers };
  const o = {};
  for (const f of FIELDS) o[f] = c[f];
  if (String(c.dataset).startsWith('upload:')) { delete o.samples; delete o.noise; }
  return o;
}

function say(text, kind) {
  const m = $('message');
  if (!text) { m.hidden = true; return; }
  m.textContent = text;
  m.className = `message ${kind || ''}`;
  m.hidden = false;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => { m.hidden = true; }, kind === 'info' ? 4000 : 12000);
}

// ---------------------------------------------------------------------------
// Controls.
function fillControls() {
  const c = S.config;
  const ds = $('dataset');
  if (String(c.dataset).startsWith('upload:') && ![...ds.options].some((o) => o.value === c.dataset)) {
    const o = document.createElement('option');
    o.value = c.dataset; o.textContent = `${t('uploaded')} CSV`;
    ds.appendChild(o);
  }
  if (!c.preset) ds.value = c.dataset;
  for (const f of ['samples', 'noise', 'lr', 'batch_size', 'seed']) $(f).value = c[f];
  $('test_fraction').value = String(c.test_fraction);
  if (![...$('test_fraction').options].some((o) => o.value === String(c.test_fraction))) {
    const o = document.createElement('option');
    o.value = o.textContent = String(c.test_fraction);
    $('test_fraction').appendChild(o); $('test_fraction').value = o.value;
  }
  for (const f of ['activation', 'loss', 'optimizer', 'dtype']) if (!c.preset) $(f).value = c[f];
  $('bias').checked = !!c.bias;
  $('samples').disabled = $('noise').disabled = String(c.dataset).startsWith('upload:');
  const hidden = c.layers.length - 2;
  $('layer-count').textContent = `${hidden} ${t(hidden === 1 ? 'hidden_layer' : 'hidden_layers')}`;
}

/// The configuration the controls describe, with the hidden layers `hidden`.
function controlsCfg(hidden) {
  const c = S.config;
  if (c.preset) {
    return { preset: 'notebook', seed: Number($('seed').value), lr: Number($('lr').value),
      layers: [2, ...hidden, 1] };
  }
  const loss = $('loss').value;
  const o = {
    dataset: $('dataset').value, samples: Number($('samples').value), noise: Number($('noise').value),
    test_fraction: Number($('test_fraction').value), activation: $('activation').value,
    bias: $('bias').checked, loss, optimizer: $('optimizer').value, lr: Number($('lr').value),
    batch_size: Number($('batch_size').value), seed: Number($('seed').value), init: c.init,
    dtype: $('dtype').value, layers: [2, ...hidden, loss === 'cross-entropy' ? 2 : 1],
  };
  if (o.dataset.startsWith('upload:')) { delete o.samples; delete o.noise; }
  return o;
}

async function reconfigure(cfg) {
  await stopPlaying();
  S.cfg = cfg;
  try {
    await createSession();
    say('');
    await refresh(true);
  } catch (e) { say(e.message); }
}

function hiddenSizes() { return S.config.layers.slice(1, -1); }

function onControl(ev) {
  const cfg = controlsCfg(hiddenSizes());
  if (ev && ev.target.id === 'dataset') delete cfg.noise; // each set has its own noise
  if (ev && ev.target.id === 'optimizer') delete cfg.lr;   // and each optimiser its rate
  reconfigure(cfg);
}

function changeLayers(f) {
  const hidden = hiddenSizes().slice();
  f(hidden);
  reconfigure(controlsCfg(hidden));
}

async function upload(file) {
  const r = await fetch('/api/datasets', { method: 'POST', body: file });
  const data = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) { say(`${file.name}: ${data.error}`); return; }
  const cfg = controlsCfg(hiddenSizes());
  cfg.dataset = data.dataset; delete cfg.samples; delete cfg.noise;
  const o = document.createElement('option');
  o.value = data.dataset; o.textContent = `${file.name} (${data.rows})`;
  $('dataset').appendChild(o);
  reconfigure(cfg);
}

// ---------------------------------------------------------------------------
// Running.
function onReport(r) {
  S.report = r;
  S.reports.push([r.step, r.loss, r.test_loss]);
  if (S.reports.length > 2000) S.reports = S.reports.filter((_, i) => i % 2 === 0 || i === S.reports.length - 1);
  showReport();
}

function showReport() {
  const r = S.report;
  const step = r ? r.step : (S.state ? S.state.step : 0);
  $('step-count').textContent = String(step);
  const loss = r ? r.loss : (S.state ? S.state.loss : null);
  $('loss-value').textContent = short(loss);
  const pct = (v) => (v === null || v === undefined) ? '–' : `${(100 * v).toFixed(1)}%`;
  $('train-acc').textContent = pct(r && r.train_accuracy);
  $('test-loss').textContent = short(r && r.test_loss);
  $('test-acc').textContent = pct(r && r.test_accuracy);
}

async function doStep() {
  try {
    await stopPlaying();
    onReport(await call('POST', '/step', { steps: 1 }));
    await refresh(true);
  } catch (e) { say(e.message); }
}

async function startPlaying() {
  const k = Number($('speed').value);
  await call('POST', '/play', { steps_per_tick: k });
  S.playing = true;
  $('play').textContent = t('pause');
  const es = new EventSource(`/api/sessions/${S.id}/events`);
  S.events = es;
  es.onmessage = (e) => { onReport(JSON.parse(e.data)); refresh(false); };
  es.addEventListener('error', (e) => {
    if (e.data) { // the server's own `error` event: training diverged
      try { say(JSON.parse(e.data).error); } catch (_) { say(e.data); }
      stopPlaying(true);
    } else if (es.readyState === EventSource.CLOSED && S.events === es) {
      // The stream ended: the session was deleted or expired. Make it again.
      stopPlaying(true).then(() => { S.id = null; return call('GET', ''); }).then(() => refresh(true)).catch((x) => say(x.message));
    }
  });
}

async function stopPlaying(serverStopped) {
  if (!S.playing) return;
  S.playing = false;
  $('play').textContent = t('play');
  if (S.events) { S.events.close(); S.events = null; }
  if (!serverStopped && S.id) await request('POST', `/api/sessions/${S.id}/pause`).catch(() => {});
  await refresh(true);
}

async function togglePlay() {
  try {
    if (S.playing) await stopPlaying(); else await startPlaying();
  } catch (e) { say(e.message); }
}

/// Fetches what the pictures need; while a fetch is under way, asks for one more after it.
async function refresh(full) {
  if (S.fetching) { S.again = true; S.againFull = S.againFull || full; return; }
  S.fetching = true;
  try {
    const wants = [call('GET', ''), call('GET', '/boundary?resolution=60&hidden_resolution=20')];
    if (full || !S.playing) wants.push(call('GET', '/backward'));
    const [state, boundary, backward] = await Promise.all(wants);
    S.state = state; S.boundary = boundary;
    if (backward) {
      const kept = S.backward && S.backward.nodes.length === backward.nodes.length;
      S.backward = backward;
      if (!kept) S.node = 0;
    }
    if (S.sel && (full || !S.playing)) await loadTrace();
    S.dirty = true;
  } catch (e) {
    say(e.message);
  } finally {
    S.fetching = false;
    if (S.again) { const f = S.againFull; S.again = false; S.againFull = false; refresh(f); }
  }
}

async function loadTrace() {
  const { k, i, j } = S.sel;
  try {
    S.trace = await call('GET', `/trace?weight=${encodeURIComponent(`W${k}[${i},${j}]`)}`);
  } catch (e) {
    S.trace = { error: e.message };
  }
}

// ---------------------------------------------------------------------------
// Colours: blue for positive (class 1), orange for negative (class 0), white between.
const POS = [31, 119, 180], NEG = [242, 142, 43];
const rgb = (c, a) => `rgba(${c[0]},${c[1]},${c[2]},${a === undefined ? 1 : a})`;

/// The offscreen canvas of picture `key`, painting `grid` (rows along y,
/// upwards) with `map(v) ∈ [-1, 1]`, `map = mapOf(grid)`; painted again only
/// when `grid` is a new one.
const pool = new Map();
function heat(key, grid, mapOf) {
  const n = grid.length;
  let cv = pool.get(key);
  if (cv && cv.grid === grid) return cv;
  const map = mapOf(grid);
  if (!cv || cv.width !== n) {
    cv = document.createElement('canvas');
    cv.width = n; cv.height = n;
    pool.set(key, cv);
  }
  const ctx = cv.getContext('2d');
  if (!cv.img) cv.img = ctx.createImageData(n, n);
  const px = cv.img.data;
  for (let j = 0; j < n; j++) {
    const row = grid[j];
    for (let i = 0; i < n; i++) {
      // shade(), written out: no array per pixel.
      const v = map(row[i]);
      const c = v >= 0 ? POS : NEG;
      const a = Math.min(1, Math.abs(v)) || 0;
      const o = 4 * ((n - 1 - j) * n + i);
      px[o] = 255 + (c[0] - 255) * a; px[o + 1] = 255 + (c[1] - 255) * a;
      px[o + 2] = 255 + (c[2] - 255) * a; px[o + 3] = 255;
    }
  }
  ctx.putImageData(cv.img, 0, 0);
  cv.grid = grid;
  return cv;
}

/// How a unit's output maps to [-1, 1]: by its activation's range.
function unitMap(grid, act) {
  if (act === 'sigmoid') return (v) => 2 * v - 1;
  if (act === 'tanh') return (v) => v;
  let m = 0;
  for (const row of grid) for (const v of row) m = Math.max(m, Math.abs(v));
  return m > 0 ? (v) => v / m : () => 0;
}

function fitCanvas(cv, cssH) {
  const dpr = window.devicePixelRatio || 1;
  const w = cv.clientWidth || cv.width;
  const h = cssH || cv.clientHeight || cv.height;
  if (cv.width !== Math.round(w * dpr) || cv.height !== Math.round(h * dpr)) {
    cv.width = Math.round(w * dpr); cv.height = Math.round(h * dpr);
  }
  const ctx = cv.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { ctx, w, h };
}

// ---------------------------------------------------------------------------
// The network.
let geometry = null; // node positions and edges, for clicks

function drawNetwork() {
  const cv = $('network');
  const c = S.config;
  if (!c) return;
  const layers = c.layers;
  const biggest = Math.max(...layers);
  const H = Math.max(300, Math.min(560, biggest * 34 + 40));
  if (cv.style.height !== `${H}px`) cv.style.height = `${H}px`;
  const { ctx, w } = fitCanvas(cv, H);
  ctx.clearRect(0, 0, w, H);
  const L = layers.length;
  const size = Math.max(14, Math.min(34, Math.floor((H - 20) / biggest) - 6));
  const gap = Math.min(size + 12, (H - 20) / biggest);
  const xs = layers.map((_, k) => 30 + size / 2 + k * (w - 60 - size) / (L - 1));
  const ys = layers.map((n) => Array.from({ length: n }, (_, u) => H / 2 + (u - (n - 1) / 2) * gap));
  geometry = { xs, ys, size, edges: [] };
  S.geometry = geometry;

  const st = S.state;
  const grads = st && st.gradients;
  const useGrad = S.edges === 'grad' && grads;
  const mats = useGrad ? grads : st && st.weights;
  let maxAbs = 0;
  if (mats) for (const m of mats) for (const row of m) for (const v of row) maxAbs = Math.max(maxAbs, Math.abs(v));
  // Edges first, nodes over them. Edges are stroked in buckets of sign and
  // size (one path per bucket), not one by one: hundreds of strokes a frame
  // would cost more than the frame has.
  const LEVELS = 12;
  const buckets = Array.from({ length: 2 * LEVELS }, () => new Path2D());
  for (let k = 0; k + 1 < L; k++) {
    for (let i = 0; i < layers[k]; i++) {
      for (let j = 0; j < layers[k + 1]; j++) {
        const v = mats ? mats[k][i][j] : 0;
        const x0 = xs[k] + size / 2, y0 = ys[k][i], x1 = xs[k + 1] - size / 2, y1 = ys[k + 1][j];
        const rel = maxAbs > 0 ? Math.abs(v) / maxAbs : 0;
        const level = Math.min(LEVELS - 1, Math.floor(rel * LEVELS));
        const path = buckets[(v >= 0 ? 0 : LEVELS) + level];
        const mx = (x0 + x1) / 2;
        path.moveTo(x0, y0); path.bezierCurveTo(mx, y0, mx, y1, x1, y1);
        geometry.edges.push({ k: k + 1, i, j, x0, y0, x1, y1 });
      }
    }
  }
  buckets.forEach((path, b) => {
    const rel = ((b % LEVELS) + 0.5) / LEVELS;
    ctx.strokeStyle = rgb(b < LEVELS ? POS : NEG, 0.25 + 0.75 * rel);
    ctx.lineWidth = 0.4 + 6 * rel;
    ctx.stroke(path);
  });
  const hl = highlightedLayer();
  if (S.sel || hl) {
    for (const e of geometry.edges) {
      const on = (S.sel && e.k === S.sel.k && e.i === S.sel.i && e.j === S.sel.j);
      if (!on && !(hl && e.k === hl)) continue;
      ctx.strokeStyle = on ? '#000' : 'rgba(0,0,0,0.35)';
      ctx.lineWidth = on ? 2.5 : 1;
      const mx = (e.x0 + e.x1) / 2;
      ctx.beginPath(); ctx.moveTo(e.x0, e.y0); ctx.bezierCurveTo(mx, e.y0, mx, e.y1, e.x1, e.y1); ctx.stroke();
    }
  }
  // Nodes: each shows its output over the input plane.
  const b = S.boundary;
  for (let k = 0; k < L; k++) {
    for (let u = 0; u < layers[k]; u++) {
      const x = xs[k] - size / 2, y = ys[k][u] - size / 2;
      let img = null;
      if (k === 0) img = inputImage(u);
      else if (b && k < L - 1 && b.hidden[k - 1]) {
        const g = b.hidden[k - 1][u];
        img = heat(`h${k}.${u}`, g, (grid) => unitMap(grid, c.preset ? 'sigmoid' : c.activation));
      } else if (b && k === L - 1) {
        const flip = layers[k] === 2 && u === 0;
        img = heat(`o${u}`, b.output, () => outMap(flip));
      }
      ctx.imageSmoothingEnabled = true;
      if (img) ctx.drawImage(img, x, y, size, size);
      else { ctx.fillStyle = '#eee'; ctx.fillRect(x, y, size, size); }
      ctx.strokeStyle = '#555'; ctx.lineWidth = 1;
      ctx.strokeRect(x + 0.5, y + 0.5, size - 1, size - 1);
    }
  }
  ctx.fillStyle = '#5b6475'; ctx.font = '12px system-ui, sans-serif'; ctx.textAlign = 'center';
  ctx.fillText('x₁, x₂', xs[0], H - 4);
  ctx.fillText(t('output').toLowerCase(), xs[L - 1], H - 4);
  placeUnitTools(xs, layers);
}

/// The inputs' pictures: x₁ and x₂ themselves, ramps over the plane.
const INPUT_GRIDS = [0, 1].map((u) => Array.from({ length: 20 }, (_, j) =>
  Array.from({ length: 20 }, (_, i) => ((u === 0 ? i : j) / 19) * 2 - 1)));

function inputImage(u) {
  return heat(`in${u}`, INPUT_GRIDS[u], () => (v) => v);
}

function outMap(flip) {
  const loss = S.config.loss;
  if (loss === 'mse') return (v) => Math.max(-1, Math.min(1, 2 * v - 1));
  return flip ? (v) => 1 - 2 * v : (v) => 2 * v - 1;
}

function placeUnitTools(xs, layers) {
  const box = $('unit-tools');
  const want = layers.length - 2;
  if (box.children.length !== want) {
    box.innerHTML = '';
    for (let l = 0; l < want; l++) {
      const d = document.createElement('div');
      const minus = document.createElement('button'); minus.textContent = '−';
      const plus = document.createElement('button'); plus.textContent = '+';
      const n = document.createElement('span');
      minus.onclick = () => changeLayers((h) => { if (h[l] > 1) h[l] -= 1; });
      plus.onclick = () => changeLayers((h) => { if (h[l] < 16) h[l] += 1; });
      d.append(minus, ' ', n, ' ', plus);
      box.appendChild(d);
    }
  }
  for (let l = 0; l < want; l++) {
    const d = box.children[l];
    d.style.left = `${xs[l + 1]}px`;
    d.querySelector('span').textContent = String(layers[l + 1]);
  }
}

/// The point of edge `e` at `u ∈ [0, 1]` (a cubic Bézier: (x0,y0) (mx,y0) (mx,y1) (x1,y1)).
function edgePoint(e, u) {
  const mx = (e.x0 + e.x1) / 2, v = 1 - u;
  return [v * v * v * e.x0 + 3 * v * v * u * mx + 3 * v * u * u * mx + u * u * u * e.x1,
    v * v * v * e.y0 + 3 * v * v * u * e.y0 + 3 * v * u * u * e.y1 + u * u * u * e.y1];
}

function edgeAt(px, py) {
  if (!geometry) return null;
  let best = null, bestD = 7;
  for (const e of geometry.edges) {
    for (let s = 0; s <= 32; s++) {
      const [x, y] = edgePoint(e, s / 32);
      const d = Math.hypot(x - px, y - py);
      if (d < bestD) { bestD = d; best = e; }
    }
  }
  return best;
}

/// The layer whose weight node the backward view is at (1-based), if any.
function highlightedLayer() {
  const b = S.backward;
  if (!b || !b.nodes.length) return null;
  const n = b.nodes[Math.min(S.node, b.nodes.length - 1)];
  const m = /^W(\d+)$/.exec(n.name || '') || /^(\d+)\.weight$/.exec(n.name || '');
  if (!m) return null;
  return /^W/.test(n.name) ? Number(m[1]) : Number(m[1]) / 2 + 1;
}

// ---------------------------------------------------------------------------
// The output: decision boundary, points, read-outs, curves.
function drawBoundary() {
  const cv = $('boundary');
  const { ctx, w, h } = fitCanvas(cv, 320);
  ctx.clearRect(0, 0, w, h);
  const b = S.boundary;
  if (!b) return;
  const img = heat('boundary', b.output, () => outMap(false));
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(img, 0, 0, w, h);
  const [x0, x1] = b.x_range, [y0, y1] = b.y_range;
  const px = (x) => (x - x0) / (x1 - x0) * w, py = (y) => h - (y - y0) / (y1 - y0) * h;
  // Points in darker tones of the classes' colours, so they stand out on the shading.
  const color = (label) => (label >= 0.5 ? [12, 74, 130] : [196, 90, 0]);
  // The points do not move: drawn once into a layer of their own (up to
  // 10,000 circles), which each frame copies.
  const p = S.points;
  if (p) {
    const dpr = window.devicePixelRatio || 1;
    let layer = S.pointsLayer;
    if (!layer || layer.points !== p || layer.w !== w || layer.h !== h || layer.range !== b.x_range + b.y_range) {
      const cv = document.createElement('canvas');
      cv.width = Math.round(w * dpr); cv.height = Math.round(h * dpr);
      const c2 = cv.getContext('2d');
      c2.setTransform(dpr, 0, 0, dpr, 0, 0);
      const r = p.train.length > 1000 ? 2.5 : 3.5;
      for (const [x, y, l] of p.train) {
        c2.beginPath(); c2.arc(px(x), py(y), r, 0, 2 * Math.PI);
        c2.fillStyle = rgb(color(l)); c2.fill();
        c2.lineWidth = 1; c2.strokeStyle = '#fff'; c2.stroke();
      }
      for (const [x, y, l] of p.test) {
        c2.beginPath(); c2.arc(px(x), py(y), r, 0, 2 * Math.PI);
        c2.fillStyle = '#fff'; c2.fill();
        c2.lineWidth = 2; c2.strokeStyle = rgb(color(l)); c2.stroke();
      }
      layer = { canvas: cv, points: p, w, h, range: b.x_range + b.y_range };
      S.pointsLayer = layer;
    }
    ctx.drawImage(layer.canvas, 0, 0, w, h);
  }
  ctx.fillStyle = 'rgba(29,36,51,0.7)'; ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'left'; ctx.fillText(short(x0), 3, h - 3);
  ctx.textAlign = 'right'; ctx.fillText(short(x1), w - 3, h - 3);
  ctx.textAlign = 'left'; ctx.fillText(short(y1), 3, 11);
}

function drawCurves() {
  const cv = $('curves');
  const { ctx, w, h } = fitCanvas(cv, 150);
  ctx.clearRect(0, 0, w, h);
  const hist = (S.state && S.state.history) || [];
  const train = S.reports.map((r) => [r[0], r[1]]);
  const test = S.reports.filter((r) => r[2] !== null && r[2] !== undefined).map((r) => [r[0], r[2]]);
  const all = hist.concat(train, test).filter((p) => p[1] > 0 && Number.isFinite(p[1]));
  if (!all.length) return;
  const maxStep = Math.max(1, ...all.map((p) => p[0]));
  let lo = Math.min(...all.map((p) => p[1])), hi = Math.max(...all.map((p) => p[1]));
  lo = Math.floor(Math.log10(lo)); hi = Math.ceil(Math.log10(hi));
  if (hi <= lo) hi = lo + 1;
  const L = 34, B = 16;
  const X = (s) => L + (w - L - 6) * s / maxStep;
  const Y = (v) => 6 + (h - B - 6) * (1 - (Math.log10(v) - lo) / (hi - lo));
  ctx.strokeStyle = '#e1e4ea'; ctx.fillStyle = '#5b6475'; ctx.font = '10px system-ui, sans-serif'; ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  for (let e = lo; e <= hi; e++) {
    const y = Y(10 ** e);
    ctx.beginPath(); ctx.moveTo(L, y); ctx.lineTo(w - 6, y); ctx.stroke();
    ctx.fillText(`1e${e}`, L - 3, y + 3);
  }
  ctx.textAlign = 'center'; ctx.fillText(`${t('step_word')} ${maxStep}`, w - 30, h - 3);
  ctx.textAlign = 'left'; ctx.fillText(t('log_scale'), L + 2, h - 3);
  const line = (pts, color, width) => {
    const ok = pts.filter((p) => p[1] > 0 && Number.isFinite(p[1]));
    if (!ok.length) return;
    ctx.strokeStyle = color; ctx.lineWidth = width; ctx.beginPath();
    ok.forEach((p, n) => (n ? ctx.lineTo(X(p[0]), Y(p[1])) : ctx.moveTo(X(p[0]), Y(p[1]))));
    ctx.stroke();
  };
  line(hist, 'rgba(43,89,195,0.3)', 1);
  line(train, '#2b59c3', 2);
  line(test, '#d1495b', 2);
  // Legend.
  const items = [[t('batch_curve'), 'rgba(43,89,195,0.4)'], [t('train_curve'), '#2b59c3'], [t('test_curve'), '#d1495b']];
  let x = L + 6;
  ctx.textAlign = 'left';
  for (const [name, color] of items) {
    ctx.fillStyle = color; ctx.fillRect(x, 8, 12, 3);
    ctx.fillStyle = '#1d2433'; ctx.fillText(name, x + 15, 13);
    x += 22 + ctx.measureText(name).width;
  }
}

function drawNorms() {
  const box = $('norms');
  const st = S.state;
  const norms = st && st.grad_norms;
  box.innerHTML = '';
  if (!norms) { box.innerHTML = `<p class="hint">${t('before_step')}</p>`; return; }
  const logs = norms.map((v) => (v > 0 ? Math.log10(v) : -12));
  const top = Math.ceil(Math.max(...logs, -12)), bottom = Math.min(top - 3, Math.floor(Math.min(...logs)));
  norms.forEach((v, k) => {
    const row = document.createElement('div'); row.className = 'bar';
    const frac = (logs[k] - bottom) / Math.max(1e-9, top - bottom);
    row.innerHTML = `<span>W${k + 1}</span><span class="track"><span class="fill" style="display:block;width:${(100 * Math.max(0.01, frac)).toFixed(1)}%"></span></span><span class="value">${v.toExponential(2)}</span>`;
    box.appendChild(row);
  });
}

// ---------------------------------------------------------------------------
// The backward sweep, node by node.
function preview(g, fullShape) {
  if (g === null || g === undefined) return `<em>${t('no_grad')}</em>`;
  const rows = Array.isArray(g[0]) ? g : [g];
  const dims = fullShape || (Array.isArray(g[0]) ? [g.length, g[0].length] : [g.length]);
  const shape = `[${dims.join(', ')}]`;
  const R = 6, C = 6;
  const lines = rows.slice(0, R).map((r) => r.slice(0, C).map(npfmt).map((s) => s.padStart(15)).join(' ') + (r.length > C ? ' …' : ''));
  if (rows.length > R) lines.push('   …');
  return `<span class="mono">${shape}</span><pre>${lines.join('\n')}</pre>`;
}

function drawBackward() {
  const box = $('back-node');
  const b = S.backward;
  if (!b || !b.nodes.length) { box.innerHTML = `<p class="hint">${t('no_step')}</p>`; $('back-pos').textContent = '–'; return; }
  S.node = Math.max(0, Math.min(S.node, b.nodes.length - 1));
  const n = b.nodes[S.node];
  const names = new Map(b.nodes.map((x) => [x.id, x.name]));
  $('back-pos').textContent = `${t('node')} ${S.node + 1} ${t('of')} ${b.nodes.length}`;
  const label = (id) => (names.get(id) ? `${names.get(id)} (#${id})` : `#${id}`);
  let html = `<div class="title">${label(n.id)} · <span class="mono">${n.op}</span></div>`;
  html += `<div>${t('rule')}: <span class="rule">${escapeHtml(n.rule)}</span></div>`;
  html += `<h3>${t('received')}</h3>${preview(n.upstream, n.upstream_shape)}`;
  for (const c of n.contributions) html += `<h3>${t('sends')} ${escapeHtml(label(c.to))}</h3>${preview(c.gradient, c.shape)}`;
  box.innerHTML = html;
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[ch]));
}

// ---------------------------------------------------------------------------
// A weight, up close, and the small networks' matrices as NumPy prints them.
function drawWeight() {
  const box = $('weight');
  if (!S.sel) { box.innerHTML = `<p class="hint">${t('weight_hint')}</p>`; return; }
  const { k, i, j } = S.sel;
  const st = S.state;
  const tr = S.trace;
  const value = tr && tr.value_text !== undefined ? tr.value_text : npfmt(st && st.weights[k - 1][i][j]);
  const grad = tr && tr.gradient_text !== undefined ? tr.gradient_text
    : (st && st.gradients ? npfmt(st.gradients[k - 1][i][j]) : '–');
  let html = `<div class="title">W${k}[${i},${j}]`;
  if (!S.config.preset) html += ` <span class="hint">(${t('pytorch_name')}: ${2 * (k - 1)}.weight[${j}, ${i}])</span>`;
  html += '</div>';
  html += `<div>${t('value')}: <span class="mono" data-testid="weight-value">${escapeHtml(value)}</span></div>`;
  html += `<div>${t('gradient')}: <span class="mono" data-testid="weight-gradient">${escapeHtml(grad)}</span></div>`;
  if (tr && tr.error) html += `<p class="hint">${escapeHtml(tr.error)}</p>`;
  if (tr && tr.terms) {
    html += `<p class="hint">${t('assembled')}</p>`;
    html += `<table class="terms"><tr><th>${t('example')}</th><th style="text-align:left">${t('factors')}</th><th>${t('product')}</th></tr>`;
    for (const term of tr.terms) {
      const f = term.factors.map((x) => `${escapeHtml(x.name)} = ${npfmt(x.value)}`).join(' × ');
      html += `<tr><td>${term.example}</td><td style="text-align:left">${f}</td><td>${npfmt(term.product)}</td></tr>`;
    }
    html += '</table>';
    if (tr.total > tr.terms.length) html += `<p class="hint">${tr.terms.length} ${t('shown_of')} ${tr.total}</p>`;
    html += `<div>${t('sum')}: <span class="mono">${npfmt(tr.sum)}</span> = ${t('equals_tape')} <span class="mono">${escapeHtml(grad)}</span></div>`;
  }
  box.innerHTML = html;
}

function drawPrinted() {
  const box = $('printed');
  const st = S.state;
  const total = S.config ? S.config.layers.reduce((a, n, k, l) => a + (k ? l[k - 1] * n : 0), 0) : 0;
  if (!st || !st.printed || total > 64) { box.innerHTML = ''; return; }
  let html = `<h3>${t('printed')}</h3>`;
  st.printed.weights.forEach((w, k) => {
    html += `<div class="mono">W${k + 1} =</div><pre>${escapeHtml(w)}</pre>`;
    if (st.printed.gradients) html += `<div class="mono">∂L/∂W${k + 1} =</div><pre>${escapeHtml(st.printed.gradients[k])}</pre>`;
  });
  box.innerHTML = html;
}

// ---------------------------------------------------------------------------
// Drawing, once per animation frame when something changed.
function frame(now) {
  if (S.dirty && S.config) {
    S.dirty = false;
    const t0 = performance.now();
    drawNetwork(); drawBoundary(); drawCurves();
    // The text panels change the page's layout: while playing, four times a second.
    if (!S.playing || now - (S.panelsAt || 0) > 250) {
      S.panelsAt = now;
      drawNorms(); drawBackward(); drawWeight(); drawPrinted();
    }
    showReport();
    S.drawMs = 0.9 * S.drawMs + 0.1 * (performance.now() - t0);
    S.frames++;
  }
  S.ticks++;
  if (now - S.fpsSince >= 1000) {
    S.fps = S.frames * 1000 / (now - S.fpsSince);
    S.rafFps = S.ticks * 1000 / (now - S.fpsSince);
    S.frames = 0; S.ticks = 0; S.fpsSince = now;
    $('fps').textContent = S.playing ? `${S.fps.toFixed(0)} ${t('fps')}` : '';
  }
  requestAnimationFrame(frame);
}

function applyLang() {
  document.documentElement.lang = S.lang;
  $('lang').value = S.lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  $('play').textContent = S.playing ? t('pause') : t('play');
  if (S.config) fillControls();
  S.dirty = true;
}

// ---------------------------------------------------------------------------
// Wiring.
function wire() {
  $('play').onclick = togglePlay;
  $('step').onclick = doStep;
  $('reset').onclick = () => reconfigure(S.cfg);
  $('preset').onclick = () => reconfigure({ preset: 'notebook' });
  $('leave-preset').onclick = () => reconfigure({ test_fraction: 0.2 });
  $('speed').onchange = () => { writeUrl(); if (S.playing) startPlaying().catch((e) => say(e.message)); };
  $('lang').onchange = () => { S.lang = $('lang').value; applyLang(); writeUrl(); };
  for (const id of ['dataset', 'samples', 'noise', 'test_fraction', 'activation', 'bias', 'loss',
    'optimizer', 'lr', 'batch_size', 'seed', 'dtype']) $(id).onchange = onControl;
  $('upload').onchange = () => { const f = $('upload').files[0]; if (f) upload(f); $('upload').value = ''; };
  $('add-layer').onclick = () => changeLayers((h) => { if (h.length < 8) h.push(h.length ? h[h.length - 1] : 4); });
  $('remove-layer').onclick = () => changeLayers((h) => { if (h.length) h.pop(); });
  for (const r of document.querySelectorAll('input[name=edges]')) r.onchange = () => { S.edges = r.value; S.dirty = true; };
  $('network').onclick = (ev) => {
    const rect = $('network').getBoundingClientRect();
    const e = edgeAt(ev.clientX - rect.left, ev.clientY - rect.top);
    S.sel = e ? { k: e.k, i: e.i, j: e.j } : null;
    S.trace = null;
    S.dirty = true;
    if (S.sel) loadTrace().then(() => { S.dirty = true; });
  };
  const move = (f) => () => { const b = S.backward; if (!b) return; S.node = f(S.node, b.nodes.length); S.dirty = true; };
  $('back-first').onclick = move(() => 0);
  $('back-prev').onclick = move((i) => Math.max(0, i - 1));
  $('back-next').onclick = move((i, n) => Math.min(n - 1, i + 1));
  $('back-last').onclick = move((_, n) => n - 1);
  window.addEventListener('resize', () => { S.dirty = true; });
}

async function main() {
  S.cfg = readUrl();
  wire();
  applyLang();
  requestAnimationFrame(frame);
  try {
    await createSession();
    await refresh(true);
  } catch (e) { say(e.message); }
}

// The page's state, for tests and users' scripts.
window.playground = S;
S.edgeAt = edgeAt;
S.edgePoint = edgePoint;
main();
