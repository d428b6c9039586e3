// LinkedView front-end (anywidget ESM): an input map and an output map, linked by the arithmetic.
//
// Python (course_utils/widgets/linked.py) sends float32 arrays, the parameters and what
// course_utils.ops decides: the padding (pads), the output shape and, for max pooling, each
// window's winner (argmax, ops' tie rule). This file computes no size, padding or tie: it draws
// both maps at one pixel scale and, on hover over an output pixel, outlines its input window and
// writes the computation, adding up the terms here (no kernel round trip). The window arithmetic
// mirrors course_utils/linked_math.py (tested against course_utils.ops).
//
// For tests, the root element carries data attributes: data-hover-out "r,c", data-window
// "r0,c0,r1,c1" (half-open, input coordinates), data-sum (full precision), data-sources
// "i,j;i,j" (transpose), data-hover-ms (mouse event -> highlight drawn), data-frame-ms (mouse
// event -> next animation frame), data-field-in "i,j", data-field-count.

const MAX_CELL = 40; // CSS px per map pixel, at most
const VALUE_MAX_SIDE = 16; // maps up to 16 x 16 show their values in the cells
const TABLE_MAX_TERMS = 49; // the arithmetic table lists at most 7 x 7 terms
const KERNEL_PX = 168; // the kernel picture's side, CSS px (at most)
const HOVER_SYNC_MS = 150; // the hover trait follows the mouse once it rests this long
const DATA_KEYS = ["op", "x", "x_shape", "kernel", "kernel_shape", "out", "out_shape", "argmax",
  "stride", "pads", "pool_size", "bias", "fixed_range", "scales", "palettes", "size",
  "show_values", "labels"];

// ---- data --------------------------------------------------------------------------------------
function typed(v, Kind) {
  // the model hands binary traits over as a DataView; copy (its offset may not be aligned)
  if (!v) return new Kind(0);
  if (v instanceof ArrayBuffer) return new Kind(v.slice(0));
  if (ArrayBuffer.isView(v)) {
    return new Kind(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  }
  return new Kind(0);
}
const floats = (v) => typed(v, Float32Array);

function readState(model) {
  const [h, w] = model.get("x_shape");
  const [kh, kw] = model.get("kernel_shape");
  const [oh, ow] = model.get("out_shape");
  return {
    op: model.get("op"), h, w, kh, kw, oh, ow,
    x: floats(model.get("x")), k: floats(model.get("kernel")), out: floats(model.get("out")),
    argmax: typed(model.get("argmax"), Int32Array),
    s: model.get("stride"), pads: model.get("pads"), pool: model.get("pool_size"),
    bias: model.get("bias"), fixed: model.get("fixed_range"), scales: model.get("scales"),
    palettes: model.get("palettes"),
    size: model.get("size"), showValues: model.get("show_values"), labels: model.get("labels"),
  };
}

// ---- the math: same as course_utils/linked_math.py ---------------------------------------------
function sources(n, k, s, r) {
  // (input index, kernel tap) pairs with s * i + a == r along one axis, by input index
  const out = [];
  for (let a = 0; a < k; a++) {
    const d = r - a;
    if (d >= 0 && d % s === 0 && d / s < n) out.push([d / s, a]);
  }
  return out.sort((p, q) => p[0] - q[0]);
}

export function arithmetic(st, r, c) {
  const { op, h, w, kh, kw, s, x, k } = st;
  if (op === "conv") {
    const r0 = r * s - st.pads[0], c0 = c * s - st.pads[2];
    const terms = [];
    let sum = 0;
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const i = r0 + a, j = c0 + b;
        const pad = !(i >= 0 && i < h && j >= 0 && j < w);
        const xv = pad ? 0 : x[i * w + j], wv = k[a * kw + b], p = wv * xv;
        sum += p;
        terms.push({ i, j, a, b, x: xv, w: wv, p, pad });
      }
    }
    return { op, out: [r, c], window: [r0, c0, r0 + kh, c0 + kw], terms, value: sum + st.bias,
             sum, bias: st.bias };
  }
  if (op === "maxpool" || op === "avgpool") {
    const p = st.pool, r0 = r * s, c0 = c * s;
    const terms = [];
    let sum = 0;
    for (let i = r0; i < r0 + p; i++) {
      for (let j = c0; j < c0 + p; j++) {
        const t = { i, j, x: x[i * w + j] };
        terms.push(t);
        sum += t.x; // row-major, as pool_arithmetic adds them
      }
    }
    const window = [r0, c0, r0 + p, c0 + p];
    if (op === "avgpool") return { op, out: [r, c], window, terms, value: sum / (p * p), sum };
    const q = st.argmax[r * st.ow + c]; // the window's winner, as ops.max_pool2d_argmax chose it
    const i = Math.floor(q / w), j = q % w;
    return { op, out: [r, c], window, terms, value: x[q], argmax: [i, j] };
  }
  // transpose ("valid"): input pixel (i, j) stamps x[i, j] * kernel with its corner at (s*i, s*j)
  const terms = [];
  let sum = 0;
  for (const [i, a] of sources(h, kh, s, r)) {
    for (const [j, b] of sources(w, kw, s, c)) {
      const xv = x[i * w + j], wv = k[a * kw + b], p = xv * wv;
      sum += p;
      terms.push({ i, j, a, b, x: xv, w: wv, p, pad: false });
    }
  }
  let window = [0, 0, 0, 0];
  if (terms.length) {
    const is = terms.map((t) => t.i), js = terms.map((t) => t.j);
    window = [Math.min(...is), Math.min(...js), Math.max(...is) + 1, Math.max(...js) + 1];
  }
  return { op, out: [r, c], window, terms, value: sum, sum };
}

export function projectiveField(st, i, j) {
  const { op, oh, ow, s } = st;
  let rows = [], cols = [];
  if (op === "transpose") {
    for (let a = 0; a < st.kh; a++) if (s * i + a < oh) rows.push(s * i + a);
    for (let b = 0; b < st.kw; b++) if (s * j + b < ow) cols.push(s * j + b);
  } else {
    const pool = op === "maxpool" || op === "avgpool";
    const [kh, kw] = pool ? [st.pool, st.pool] : [st.kh, st.kw];
    const [t, l] = [st.pads[0], st.pads[2]]; // zeros for pooling ("valid")
    const span = (p, pad, k, n) => {
      const lo = Math.max(0, Math.ceil((p + pad - k + 1) / s));
      const hi = Math.min(n - 1, Math.floor((p + pad) / s));
      const out = [];
      for (let q = lo; q <= hi; q++) out.push(q);
      return out;
    };
    rows = span(i, t, kh, oh);
    cols = span(j, l, kw, ow);
  }
  const out = [];
  for (const r of rows) for (const c of cols) out.push([r, c]);
  return out;
}

// ---- colours -----------------------------------------------------------------------------------
export function scale(spec, palettes) {
  // spec = [cmap, lo, hi] as Python's viz.colour_scale chose it; the colours are the cmap's
  // 256-entry palette (viz.palette), indexed exactly as viz.to_png indexes them
  const [cmap, lo, hi] = spec, lut = palettes[cmap], f = 255 / (hi > lo ? hi - lo : 1);
  return { lo, hi, rgb: (v) => {
    const q = 3 * Math.floor(Math.max(0, Math.min(255, (v - lo) * f)));
    return [lut[q], lut[q + 1], lut[q + 2]];
  } };
}

export function fmt(v) {
  const a = Math.abs(v);
  let s = a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
  if (/^-0(\.0+)?$/.test(s)) s = s.slice(1);
  return s;
}

function fmt4(v) {
  const s = v.toFixed(4);
  return /^-0\.0+$/.test(s) ? s.slice(1) : s;
}

// ---- drawing -----------------------------------------------------------------------------------
function el(tag, cls, parent, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

function sizeCanvas(cv, wCss, hCss) {
  const dpr = window.devicePixelRatio || 1;
  cv.style.width = `${wCss}px`;
  cv.style.height = `${hCss}px`;
  cv.width = Math.max(1, Math.round(wCss * dpr));
  cv.height = Math.max(1, Math.round(hCss * dpr));
  const ctx = cv.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

// Draw an h x w map with `cell` CSS px per pixel and a margin [t, b, l, r] of padding cells.
function drawMap(cv, data, h, w, cell, margin, sc, showValues) {
  const [t, b, l, r] = margin;
  const ctx = sizeCanvas(cv, (w + l + r) * cell, (h + t + b) * cell);
  if (t || b || l || r) { // padding zeros: light grey, their "0" written when values are shown
    ctx.fillStyle = "#ececec";
    ctx.fillRect(0, 0, (w + l + r) * cell, (h + t + b) * cell);
  }
  const img = new ImageData(w, h);
  for (let q = 0; q < h * w; q++) {
    const [R, G, B] = sc.rgb(data[q]);
    img.data[4 * q] = R;
    img.data[4 * q + 1] = G;
    img.data[4 * q + 2] = B;
    img.data[4 * q + 3] = 255;
  }
  const off = document.createElement("canvas");
  off.width = w;
  off.height = h;
  off.getContext("2d").putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, l * cell, t * cell, w * cell, h * cell);
  if (cell >= 8) { // grid lines between cells
    ctx.strokeStyle = "rgba(0,0,0,0.15)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let i = 0; i <= h + t + b; i++) { ctx.moveTo(0, i * cell); ctx.lineTo((w + l + r) * cell, i * cell); }
    for (let j = 0; j <= w + l + r; j++) { ctx.moveTo(j * cell, 0); ctx.lineTo(j * cell, (h + t + b) * cell); }
    ctx.stroke();
  }
  if (t || b || l || r) {
    ctx.strokeStyle = "#555";
    ctx.setLineDash([4, 3]);
    ctx.strokeRect(l * cell + 0.5, t * cell + 0.5, w * cell - 1, h * cell - 1);
    ctx.setLineDash([]);
  }
  if (showValues) {
    ctx.font = `${Math.max(8, Math.min(13, Math.floor(cell * 0.32)))}px sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (let i = -t; i < h + b; i++) {
      for (let j = -l; j < w + r; j++) {
        const inside = i >= 0 && i < h && j >= 0 && j < w;
        const v = inside ? data[i * w + j] : 0;
        const [R, G, B] = inside ? sc.rgb(v) : [236, 236, 236];
        ctx.fillStyle = 0.299 * R + 0.587 * G + 0.114 * B > 140 ? "#111" : "#fff";
        if (!inside) ctx.fillStyle = "#999";
        ctx.fillText(fmt(v), (j + l + 0.5) * cell, (i + t + 0.5) * cell);
      }
    }
  }
}

function colourBar(parent, sc, widthCss) {
  const bar = el("div", "linked-cbar", parent);
  bar.dataset.lo = String(sc.lo);
  bar.dataset.hi = String(sc.hi);
  const cv = el("canvas", "linked-cbar-canvas", bar);
  const ctx = sizeCanvas(cv, widthCss, 10);
  for (let q = 0; q < widthCss; q++) {
    const [R, G, B] = sc.rgb(sc.lo + (sc.hi - sc.lo) * (q + 0.5) / widthCss);
    ctx.fillStyle = `rgb(${R | 0},${G | 0},${B | 0})`;
    ctx.fillRect(q, 0, 1, 10);
  }
  const labels = el("div", "linked-cbar-labels", bar);
  labels.style.width = `${widthCss}px`;
  el("span", "", labels, fmt(sc.lo));
  el("span", "", labels, fmt((sc.lo + sc.hi) / 2));
  el("span", "", labels, fmt(sc.hi));
  return bar;
}

function termTable(rows, cols, terms, cellHtml) {
  let s = '<table class="linked-terms">';
  for (let a = 0; a < rows; a++) {
    s += "<tr>";
    for (let b = 0; b < cols; b++) s += cellHtml(terms[a * cols + b]);
    s += "</tr>";
  }
  return s + "</table>";
}

function arithmeticHtml(st, ar) {
  const [r, c] = ar.out;
  const shown = st.out[r * st.ow + c];
  const check = `<span class="linked-check">output map value ${fmt4(shown)}</span>`;
  if (ar.op === "conv") {
    let s = `<div class="linked-arith-title">output[${r}, ${c}] = sum of weight &times; input over the ${st.kh}&times;${st.kw} window</div>`;
    if (ar.terms.length <= TABLE_MAX_TERMS) {
      s += termTable(st.kh, st.kw, ar.terms, (t) =>
        `<td class="${t.pad ? "pad" : ""}"><span class="w">${fmt(t.w)}</span>&times;<span class="x">${t.pad ? "0 pad" : fmt(t.x)}</span><br><b>${fmt(t.p)}</b></td>`);
    }
    const bias = ar.bias ? ` + bias ${fmt(ar.bias)}` : "";
    return s + `<div class="linked-sum">sum of ${ar.terms.length} products ${fmt4(ar.sum)}${bias} = <b class="linked-sum-value">${fmt4(ar.value)}</b> &nbsp; ${check}</div>`;
  }
  if (ar.op === "maxpool") {
    let s = `<div class="linked-arith-title">output[${r}, ${c}] = maximum of the ${st.pool}&times;${st.pool} window</div>`;
    if (ar.terms.length <= TABLE_MAX_TERMS) {
      s += termTable(st.pool, st.pool, ar.terms, (t) =>
        `<td class="${t.i === ar.argmax[0] && t.j === ar.argmax[1] ? "max" : ""}">${fmt(t.x)}</td>`);
    }
    return s + `<div class="linked-sum">max at input [${ar.argmax[0]}, ${ar.argmax[1]}] = <b class="linked-sum-value">${fmt4(ar.value)}</b> &nbsp; ${check}</div>`;
  }
  if (ar.op === "avgpool") {
    const n = st.pool * st.pool;
    let s = `<div class="linked-arith-title">output[${r}, ${c}] = mean of the ${st.pool}&times;${st.pool} window</div>`;
    if (ar.terms.length <= TABLE_MAX_TERMS) {
      s += termTable(st.pool, st.pool, ar.terms, (t) => `<td>${fmt(t.x)}</td>`);
    }
    return s + `<div class="linked-sum">sum of ${n} values ${fmt4(ar.sum)} / ${n} = <b class="linked-sum-value">${fmt4(ar.value)}</b> &nbsp; ${check}</div>`;
  }
  let s = `<div class="linked-arith-title">output[${r}, ${c}] = sum of the stamps that cover it: input[i, j] &times; kernel[${r} &minus; ${st.s}i, ${c} &minus; ${st.s}j]</div>`;
  if (!ar.terms.length) {
    return s + `<div class="linked-sum">no stamp reaches this pixel (kernel smaller than the stride) = <b class="linked-sum-value">${fmt4(0)}</b> &nbsp; ${check}</div>`;
  }
  s += '<ul class="linked-stamps">';
  for (const t of ar.terms) {
    s += `<li>input[${t.i}, ${t.j}] &times; kernel[${t.a}, ${t.b}] = ${fmt(t.x)} &times; ${fmt(t.w)} = <b>${fmt(t.p)}</b></li>`;
  }
  return s + `</ul><div class="linked-sum">sum of ${ar.terms.length} stamp${ar.terms.length > 1 ? "s" : ""} = <b class="linked-sum-value">${fmt4(ar.value)}</b> &nbsp; ${check}</div>`;
}

function outline(ctx, x, y, w, h, colour, width) {
  ctx.lineWidth = width + 2;
  ctx.strokeStyle = "rgba(0,0,0,0.75)";
  ctx.strokeRect(x + width / 2, y + width / 2, w - width, h - width);
  ctx.lineWidth = width;
  ctx.strokeStyle = colour;
  ctx.strokeRect(x + width / 2, y + width / 2, w - width, h - width);
}

// ---- the widget --------------------------------------------------------------------------------
function render({ model, el: host }) {
  const root = el("div", "course-linked", host);
  let st = null, geo = null, hover = null, field = null, pending = false;

  function build() {
    pending = false;
    st = readState(model);
    root.replaceChildren();
    root.dataset.op = st.op;
    for (const key of ["hoverOut", "window", "sum", "sources", "hoverMs", "frameMs", "fieldIn",
      "fieldCount"]) delete root.dataset[key];
    hover = field = null;
    const m = st.op === "conv" ? [st.pads[0], st.pads[1], st.pads[2], st.pads[3]] : [0, 0, 0, 0];
    const maxDim = Math.max(st.h + m[0] + m[1], st.w + m[2] + m[3], st.oh, st.ow, 1);
    const cell = Math.min(MAX_CELL, st.size / maxDim);
    const valuesFor = (h, w) => st.showValues === "yes" ||
      (st.showValues === "auto" && h <= VALUE_MAX_SIDE && w <= VALUE_MAX_SIDE && cell >= 18);
    const fixed = st.fixed && st.fixed.length === 2;
    const inScale = scale(st.scales.input, st.palettes);
    const outScale = scale(st.scales.output, st.palettes);
    root.dataset.cell = String(cell);

    const maps = el("div", "linked-maps", root);
    const panel = (cls, title) => {
      const p = el("div", `linked-panel ${cls}`, maps);
      el("div", "linked-caption", p, title);
      return p;
    };
    // input
    const pin = panel("linked-input", `${st.labels[0]} ${st.h}\u00d7${st.w}` +
      (st.op === "conv" && m.some((v) => v) ? ` (+ zero padding ${m[0]}/${m[1]} rows, ${m[2]}/${m[3]} cols)` : ""));
    const inStack = el("div", "linked-stack", pin);
    const inBase = el("canvas", "linked-base", inStack), inOv = el("canvas", "linked-overlay", inStack);
    drawMap(inBase, st.x, st.h, st.w, cell, m, inScale, valuesFor(st.h, st.w));
    sizeCanvas(inOv, (st.w + m[2] + m[3]) * cell, (st.h + m[0] + m[1]) * cell);
    colourBar(pin, inScale, Math.max(96, Math.min(256, Math.round((st.w + m[2] + m[3]) * cell))));
    // operation (and kernel)
    const pop = panel("linked-op", st.op === "conv" ? `convolution, stride ${st.s}`
      : st.op === "maxpool" ? `max-pool ${st.pool}\u00d7${st.pool}, stride ${st.s}`
        : st.op === "avgpool" ? `average pool ${st.pool}\u00d7${st.pool}, stride ${st.s}`
          : `transposed convolution, stride ${st.s}`);
    if (st.op === "conv" || st.op === "transpose") {
      el("div", "linked-kernel-caption", pop, `kernel ${st.kh}\u00d7${st.kw}` +
        (st.op === "conv" && st.bias ? `, bias ${fmt(st.bias)}` : ""));
      const kc = Math.min(36, KERNEL_PX / Math.max(st.kh, st.kw));
      const kScale = scale(st.scales.kernel, st.palettes);
      const kCanvas = el("canvas", "linked-kernel", pop);
      drawMap(kCanvas, st.k, st.kh, st.kw, kc, [0, 0, 0, 0], kScale, kc >= 18);
    }
    el("div", "linked-arrow", pop, "\u2192");
    // output
    const pout = panel("linked-output", `${st.labels[1]} ${st.oh}\u00d7${st.ow}`);
    const outStack = el("div", "linked-stack", pout);
    const outBase = el("canvas", "linked-base", outStack), outOv = el("canvas", "linked-overlay", outStack);
    drawMap(outBase, st.out, st.oh, st.ow, cell, [0, 0, 0, 0], outScale, valuesFor(st.oh, st.ow));
    sizeCanvas(outOv, st.ow * cell, st.oh * cell);
    colourBar(pout, outScale, Math.max(96, Math.min(256, Math.round(st.ow * cell))));
    if (fixed) el("div", "linked-note", root, `fixed colour scale ${fmt(st.fixed[0])} to ${fmt(st.fixed[1])} for both maps`);
    const arith = el("div", "linked-arith", root);
    arith.innerHTML = "Hover over an output pixel to see its input window and the arithmetic; " +
      "click an input pixel to see every output pixel it reaches.";
    geo = { cell, m, inBase, inOv, outBase, outOv, arith,
            inCtx: inOv.getContext("2d"), outCtx: outOv.getContext("2d") };

    outBase.addEventListener("mousemove", onOutMove);
    outBase.addEventListener("click", onOutMove);
    inBase.addEventListener("click", onInClick);
  }

  function cellAt(ev, cv, top, left) {
    const rect = cv.getBoundingClientRect();
    const sx = rect.width / parseFloat(cv.style.width), sy = rect.height / parseFloat(cv.style.height);
    return [Math.floor((ev.clientY - rect.top) / sy / geo.cell) - top,
            Math.floor((ev.clientX - rect.left) / sx / geo.cell) - left];
  }

  function drawOverlays() {
    const { cell, m, inCtx, outCtx, inOv, outOv } = geo;
    const dpr = window.devicePixelRatio || 1;
    inCtx.clearRect(0, 0, inOv.width / dpr, inOv.height / dpr);
    outCtx.clearRect(0, 0, outOv.width / dpr, outOv.height / dpr);
    if (field) {
      outCtx.fillStyle = "rgba(0, 200, 255, 0.45)";
      for (const [r, c] of field.cells) outCtx.fillRect(c * cell, r * cell, cell, cell);
      outline(inCtx, (field.in[1] + m[2]) * cell, (field.in[0] + m[0]) * cell, cell, cell, "#00c8ff", 2);
    }
    if (hover) {
      const ar = hover.ar;
      const [r, c] = ar.out;
      if (ar.op === "transpose") {
        outCtx.setLineDash([4, 3]);
        for (const t of ar.terms) { // each contributing stamp's footprint on the output
          outCtx.lineWidth = 1.5;
          outCtx.strokeStyle = "#ff9f1c";
          outCtx.strokeRect(st.s * t.j * cell + 0.75, st.s * t.i * cell + 0.75, st.kw * cell - 1.5, st.kh * cell - 1.5);
        }
        outCtx.setLineDash([]);
        for (const t of ar.terms) outline(inCtx, t.j * cell, t.i * cell, cell, cell, "#ff9f1c", 2);
      } else {
        const [r0, c0, r1, c1] = ar.window;
        outline(inCtx, (c0 + m[2]) * cell, (r0 + m[0]) * cell, (c1 - c0) * cell, (r1 - r0) * cell, "#ff9f1c", 2);
        if (ar.op === "maxpool") {
          const [i, j] = ar.argmax;
          inCtx.fillStyle = "rgba(255, 60, 60, 0.55)";
          inCtx.fillRect(j * cell, i * cell, cell, cell);
        }
      }
      outline(outCtx, c * cell, r * cell, cell, cell, "#ff9f1c", 2);
    }
  }

  let hoverSync = 0;
  function onOutMove(ev) {
    if (!geo) return;
    const tEvent = ev.timeStamp > 0 && ev.timeStamp <= performance.now() ? ev.timeStamp : performance.now();
    const [r, c] = cellAt(ev, geo.outBase, 0, 0);
    if (r < 0 || c < 0 || r >= st.oh || c >= st.ow) return;
    if (hover && hover.ar.out[0] === r && hover.ar.out[1] === c) return;
    const ar = arithmetic(st, r, c);
    hover = { ar };
    drawOverlays();
    geo.arith.innerHTML = arithmeticHtml(st, ar);
    root.dataset.hoverOut = `${r},${c}`;
    root.dataset.window = ar.window.join(",");
    root.dataset.sum = String(ar.value);
    if (ar.op === "transpose") root.dataset.sources = ar.terms.map((t) => `${t.i},${t.j}`).join(";");
    const ms = performance.now() - tEvent;
    root.dataset.hoverMs = ms.toFixed(3);
    requestAnimationFrame(() => { root.dataset.frameMs = (performance.now() - tEvent).toFixed(3); });
    // the kernel hears where the mouse rests, not every move: each message also makes JupyterLab
    // redraw its kernel-status indicators, work the next move would wait for
    clearTimeout(hoverSync);
    hoverSync = setTimeout(() => {
      model.set("hover", { out: [r, c], window: ar.window, sum: ar.value, ms });
      model.save_changes();
    }, HOVER_SYNC_MS);
  }

  function onInClick(ev) {
    if (!geo) return;
    const [i, j] = cellAt(ev, geo.inBase, geo.m[0], geo.m[2]);
    if (i < 0 || j < 0 || i >= st.h || j >= st.w) return;
    if (field && field.in[0] === i && field.in[1] === j) {
      field = null; // a second click on the same pixel clears it
      delete root.dataset.fieldIn;
      root.dataset.fieldCount = "0";
    } else {
      field = { in: [i, j], cells: projectiveField(st, i, j) };
      root.dataset.fieldIn = `${i},${j}`;
      root.dataset.fieldCount = String(field.cells.length);
    }
    drawOverlays();
    model.set("selected", field ? { in: field.in, count: field.cells.length, out: field.cells } : {});
    model.save_changes();
  }

  function schedule() {
    if (pending) return;
    pending = true;
    queueMicrotask(build);
  }
  for (const key of DATA_KEYS) model.on(`change:${key}`, schedule);
  build();
  return () => {
    for (const key of DATA_KEYS) model.off(`change:${key}`, schedule);
  };
}

export default { render };
