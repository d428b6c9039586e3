// LinkedView front-end (anywidget ESM): an input map and an output map, linked by the arithmetic.
//
// Python (course_utils/widgets/linked.py) sends float32 arrays, the parameters and what
// course_utils.ops decides: the padding (pads), the output shape and, for max pooling, each
// window's winner (argmax, ops' tie rule). This file computes no size, padding or tie: it draws
// both maps at one pixel scale and, on hover over an output pixel, outlines its input window and
// writes the computation, adding up the terms here (no kernel round trip). The window arithmetic
// mirrors course_utils/linked_math.py (tested against course_utils.ops).
//
// A view of a detail of a larger map (Python's detail=...) receives only the pixels it draws: the
// detail and the real neighbours its windows read (x, placed at `origin` of the full input), the
// full map's output pixels anchored in it (out, at `out_origin`), and which rows and columns any
// window reads (read_rows, read_cols). Every index here, in the arithmetic and in the data
// attributes is a full-map index; grey "0" cells (`margin`) are the operation's own padding.
//
// For tests, the root element carries data attributes (full-map coordinates): data-hover-out
// "r,c" (removed when the mouse leaves), data-window "r0,c0,r1,c1" (half-open, input
// coordinates), data-sum (full precision), data-sources "i,j;i,j" (transpose), data-hover-ms
// (mouse event -> highlight drawn), data-frame-ms (mouse event -> next animation frame),
// data-field-in "i,j", data-field-count, data-field-note ("never-read", "outside-view" or
// absent), data-cell (CSS px per cell), data-in-origin "i,j" (the input canvas's top-left cell,
// padding included) and data-out-origin "r,c" (the output canvas's top-left cell).

const MAX_CELL = 40; // CSS px per map pixel, at most
const VALUE_MAX_SIDE = 20; // maps up to 20 x 20 show their values (a 16 x 16 detail + neighbours)
const TABLE_MAX_TERMS = 49; // the arithmetic table lists at most 7 x 7 terms
const KERNEL_PX = 168; // the kernel picture's side, CSS px (at most)
const HOVER_SYNC_MS = 150; // the hover trait follows the mouse once it rests this long
const DATA_KEYS = ["op", "x", "x_shape", "origin", "full_shape", "margin", "detail", "read_rows",
  "read_cols", "kernel", "kernel_shape", "out", "out_shape", "out_origin", "argmax", "stride",
  "pads", "pool_size", "bias", "fixed_range", "scales", "palettes", "size", "show_values",
  "labels"];

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
  const [oy, ox] = model.get("origin"), [H, W] = model.get("full_shape");
  const [R0, C0] = model.get("out_origin");
  return {
    op: model.get("op"), h, w, kh, kw, oh, ow, oy, ox, H, W, R0, C0,
    margin: model.get("margin"), detail: model.get("detail"),
    readRows: model.get("read_rows"), readCols: model.get("read_cols"),
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

// Everything below takes and returns full-map indices: output (r, c), input (i, j). The drawn
// pixels x start at input (oy, ox), the drawn outputs at (R0, C0); in a plain view all are 0.
const xAt = (st, i, j) => st.x[(i - st.oy) * st.w + (j - st.ox)];
const inImage = (st, i, j) => i >= 0 && i < st.H && j >= 0 && j < st.W;
const inDetail = (st, i, j) => !st.detail.length ||
  (i >= st.detail[0] && i < st.detail[2] && j >= st.detail[1] && j < st.detail[3]);

export function arithmetic(st, r, c) {
  const { op, kh, kw, s, k } = st;
  if (op === "conv") {
    const r0 = r * s - st.pads[0], c0 = c * s - st.pads[2];
    const terms = [];
    let sum = 0;
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const i = r0 + a, j = c0 + b;
        const pad = !inImage(st, i, j);
        const xv = pad ? 0 : xAt(st, i, j), wv = k[a * kw + b], p = wv * xv;
        sum += p;
        terms.push({ i, j, a, b, x: xv, w: wv, p, pad, near: !pad && !inDetail(st, i, j) });
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
        const t = { i, j, x: xAt(st, i, j), near: !inDetail(st, i, j) };
        terms.push(t);
        sum += t.x; // row-major, as pool_arithmetic adds them
      }
    }
    const window = [r0, c0, r0 + p, c0 + p];
    if (op === "avgpool") return { op, out: [r, c], window, terms, value: sum / (p * p), sum };
    // the window's winner, as ops.max_pool2d_argmax chose it (an index into the drawn pixels)
    const q = st.argmax[(r - st.R0) * st.ow + (c - st.C0)];
    const i = st.oy + Math.floor(q / st.w), j = st.ox + (q % st.w);
    return { op, out: [r, c], window, terms, value: st.x[q], argmax: [i, j] };
  }
  // transpose ("valid"): input pixel (i, j) stamps x[i, j] * kernel with its corner at (s*i, s*j)
  const terms = [];
  let sum = 0;
  for (const [i, a] of sources(st.H, kh, s, r)) {
    for (const [j, b] of sources(st.W, kw, s, c)) {
      const xv = xAt(st, i, j), wv = k[a * kw + b], p = xv * wv;
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

// The output pixels in view that read input (i, j) (full-map indices), row-major.
export function projectiveField(st, i, j) {
  const { op, oh, ow, s, R0, C0 } = st;
  let rows = [], cols = [];
  if (op === "transpose") {
    for (let a = 0; a < st.kh; a++) rows.push(s * i + a);
    for (let b = 0; b < st.kw; b++) cols.push(s * j + b);
  } else {
    const pool = op === "maxpool" || op === "avgpool";
    const [kh, kw] = pool ? [st.pool, st.pool] : [st.kh, st.kw];
    const [t, l] = [st.pads[0], st.pads[2]]; // zeros for pooling ("valid")
    const span = (p, pad, k) => {
      const out = [];
      const lo = Math.ceil((p + pad - k + 1) / s), hi = Math.floor((p + pad) / s);
      for (let q = lo; q <= hi; q++) out.push(q);
      return out;
    };
    rows = span(i, t, kh);
    cols = span(j, l, kw);
  }
  const out = [];
  for (const r of rows) {
    if (r < R0 || r >= R0 + oh) continue;
    for (const c of cols) if (c >= C0 && c < C0 + ow) out.push([r, c]);
  }
  return out;
}

// Does any window of the full operation read input (i, j)?
export function isRead(st, i, j) {
  return st.readRows[i - st.oy] === 1 && st.readCols[j - st.ox] === 1;
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

const PAD_RGB = [236, 236, 236]; // padding zeros: light grey, their "0" written in grey
const NEAR_VEIL = 0.45; // pixels around a detail: their colour mixed this much with white
const UNREAD_DIM = 1 / 3; // pixels no window reads: their colour times this (as the windows picture)

// Draw an h x w map with `cell` CSS px per pixel and a margin [t, b, l, r] of padding cells.
// `tint(q, rgb)` may change pixel q's colour (pale neighbours, dimmed unread pixels);
// `box` [r0, c0, r1, c1] (map cells, half-open) is outlined in yellow (a detail).
function drawMap(cv, data, h, w, cell, margin, sc, showValues, tint, box) {
  const [t, b, l, r] = margin;
  const ctx = sizeCanvas(cv, (w + l + r) * cell, (h + t + b) * cell);
  if (t || b || l || r) {
    ctx.fillStyle = `rgb(${PAD_RGB.join(",")})`;
    ctx.fillRect(0, 0, (w + l + r) * cell, (h + t + b) * cell);
  }
  const rgbs = new Array(h * w);
  const img = new ImageData(w, h);
  for (let q = 0; q < h * w; q++) {
    const rgb = tint ? tint(q, sc.rgb(data[q])) : sc.rgb(data[q]);
    rgbs[q] = rgb;
    img.data[4 * q] = rgb[0];
    img.data[4 * q + 1] = rgb[1];
    img.data[4 * q + 2] = rgb[2];
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
  if (t || b || l || r) { // where the real pixels end and the padding zeros begin
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
        const [R, G, B] = inside ? rgbs[i * w + j] : PAD_RGB;
        ctx.fillStyle = 0.299 * R + 0.587 * G + 0.114 * B > 140 ? "#111" : "#fff";
        if (!inside) ctx.fillStyle = "#999";
        ctx.fillText(fmt(v), (j + l + 0.5) * cell, (i + t + 0.5) * cell);
      }
    }
  }
  if (box) { // the detail: yellow, as its box on the photo above
    const [r0, c0, r1, c1] = box;
    outline(ctx, (c0 + l) * cell, (r0 + t) * cell, (c1 - c0) * cell, (r1 - r0) * cell, "#ffdc00", 2);
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

// A tap's class and its input text: padding zero, a neighbour of the detail, or a detail pixel.
const tapClass = (t) => (t.pad ? "pad" : t.near ? "near" : "");
const tapText = (t) => (t.pad ? "0 pad" : fmt(t.x));

function legendHtml(terms) {
  const parts = [];
  if (terms.some((t) => t.near)) parts.push('<span class="near">pale</span>: a real pixel next to the detail');
  if (terms.some((t) => t.pad)) parts.push('<span class="pad">0 pad</span>: a zero beyond the edge (padding)');
  return parts.length ? `<div class="linked-legend">${parts.join("; ")}</div>` : "";
}

function arithmeticHtml(st, ar) {
  const [r, c] = ar.out;
  const shown = st.out[(r - st.R0) * st.ow + (c - st.C0)];
  const check = `<span class="linked-check">output map value ${fmt4(shown)}</span>`;
  if (ar.op === "conv") {
    let s = `<div class="linked-arith-title">output[${r}, ${c}] = sum of weight &times; input over the ${st.kh}&times;${st.kw} window</div>`;
    if (ar.terms.length <= TABLE_MAX_TERMS) {
      s += termTable(st.kh, st.kw, ar.terms, (t) =>
        `<td class="${tapClass(t)}"><span class="w">${fmt(t.w)}</span>&times;<span class="x">${tapText(t)}</span><br><b>${fmt(t.p)}</b></td>`);
      s += legendHtml(ar.terms);
    }
    const bias = ar.bias ? ` + bias ${fmt(ar.bias)}` : "";
    return s + `<div class="linked-sum">sum of ${ar.terms.length} products ${fmt4(ar.sum)}${bias} = <b class="linked-sum-value">${fmt4(ar.value)}</b> &nbsp; ${check}</div>`;
  }
  if (ar.op === "maxpool") {
    let s = `<div class="linked-arith-title">output[${r}, ${c}] = maximum of the ${st.pool}&times;${st.pool} window</div>`;
    if (ar.terms.length <= TABLE_MAX_TERMS) {
      s += termTable(st.pool, st.pool, ar.terms, (t) => {
        const win = t.i === ar.argmax[0] && t.j === ar.argmax[1];
        return `<td class="${[win ? "max" : "", tapClass(t)].join(" ").trim()}">${fmt(t.x)}</td>`;
      });
      s += legendHtml(ar.terms);
    }
    return s + `<div class="linked-sum">max at input [${ar.argmax[0]}, ${ar.argmax[1]}] = <b class="linked-sum-value">${fmt4(ar.value)}</b> &nbsp; ${check}</div>`;
  }
  if (ar.op === "avgpool") {
    const n = st.pool * st.pool;
    let s = `<div class="linked-arith-title">output[${r}, ${c}] = mean of the ${st.pool}&times;${st.pool} window</div>`;
    if (ar.terms.length <= TABLE_MAX_TERMS) {
      s += termTable(st.pool, st.pool, ar.terms, (t) => `<td class="${tapClass(t)}">${fmt(t.x)}</td>`);
      s += legendHtml(ar.terms);
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

// What a click on input (i, j) says: how many output pixels in view read it, or why none does.
export function fieldNote(st, i, j, count) {
  if (count) return null;
  if (!isRead(st, i, j)) return "never-read";
  return "outside-view";
}

function fieldHtml(st, i, j, count, note) {
  const v = fmt(xAt(st, i, j));
  if (note === "never-read") {
    const pool = st.op === "maxpool" || st.op === "avgpool";
    const rowUnread = st.readRows[i - st.oy] !== 1; // the gap is in its row (else its column)
    const k = pool ? st.pool : rowUnread ? st.kh : st.kw;
    const what = pool ? "window" : "kernel";
    const why = st.s > k ? `stride ${st.s} > ${what} ${k}` : "the last window ends before it";
    return `input[${i}, ${j}] = ${v} is <b>never read by any window</b> (${why}): no output depends on it.`;
  }
  if (note === "outside-view") {
    return `input[${i}, ${j}] = ${v} is read only by output pixels outside this view.`;
  }
  return `input[${i}, ${j}] = ${v} is read by <b>${count}</b> output pixel${count > 1 ? "s" : ""} (highlighted).`;
}

function outline(ctx, x, y, w, h, colour, width) {
  ctx.lineWidth = width + 2;
  ctx.strokeStyle = "rgba(0,0,0,0.75)";
  ctx.strokeRect(x + width / 2, y + width / 2, w - width, h - width);
  ctx.lineWidth = width;
  ctx.strokeStyle = colour;
  ctx.strokeRect(x + width / 2, y + width / 2, w - width, h - width);
}

const range = (a, b) => (a === b - 1 ? `${a}` : `${a}\u2013${b - 1}`);

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
      "fieldCount", "fieldNote"]) delete root.dataset[key];
    hover = field = null;
    const m = st.margin;
    // canvas cell of full-map input (i, j) and output (r, c)
    const i0 = st.oy - m[0], j0 = st.ox - m[2];
    const maxDim = Math.max(st.h + m[0] + m[1], st.w + m[2] + m[3], st.oh, st.ow, 1);
    const cell = Math.min(MAX_CELL, st.size / maxDim);
    const valuesFor = (h, w) => st.showValues === "yes" ||
      (st.showValues === "auto" && h <= VALUE_MAX_SIDE && w <= VALUE_MAX_SIDE && cell >= 18);
    const fixed = st.fixed && st.fixed.length === 2;
    const inScale = scale(st.scales.input, st.palettes);
    const outScale = scale(st.scales.output, st.palettes);
    root.dataset.cell = String(cell);
    root.dataset.inOrigin = `${i0},${j0}`;
    root.dataset.outOrigin = `${st.R0},${st.C0}`;

    const maps = el("div", "linked-maps", root);
    const panel = (cls, title, widthCss) => {
      const p = el("div", `linked-panel ${cls}`, maps);
      el("div", "linked-caption", p, title);
      if (widthCss) p.style.maxWidth = `${Math.max(widthCss, 140)}px`;
      return p;
    };
    const note = (p, text) => el("div", "linked-subcaption", p, text);
    // input: the detail (yellow) and its neighbours, or the whole map
    const inW = (st.w + m[2] + m[3]) * cell, inH = (st.h + m[0] + m[1]) * cell;
    const hasDetail = st.detail.length === 4;
    const unread = st.op !== "transpose" &&
      (st.readRows.some((v) => v !== 1) || st.readCols.some((v) => v !== 1));
    const pin = panel("linked-input", hasDetail
      ? `${st.labels[0]} ${st.detail[2] - st.detail[0]}\u00d7${st.detail[3] - st.detail[1]}`
      : `${st.labels[0]} ${st.h}\u00d7${st.w}`, inW);
    if (hasDetail) {
      const [a, b, c, d] = st.detail;
      note(pin, `rows ${range(a, c)}, cols ${range(b, d)} (yellow box)` +
        (st.h * st.w > (c - a) * (d - b) ? "; pale: the real pixels around it that the windows read" : ""));
    }
    if (m.some((v) => v)) {
      note(pin, `grey 0: zero padding (${m[0]}/${m[1]} rows, ${m[2]}/${m[3]} cols) beyond the ` +
        (hasDetail ? "image's edge" : "edge"));
    }
    if (unread) note(pin, "dark: never read by any window");
    const inStack = el("div", "linked-stack", pin);
    const inBase = el("canvas", "linked-base", inStack), inOv = el("canvas", "linked-overlay", inStack);
    const tint = (q, rgb) => {
      const i = st.oy + Math.floor(q / st.w), j = st.ox + (q % st.w);
      let [R, G, B] = rgb;
      if (!inDetail(st, i, j)) {
        R += (255 - R) * NEAR_VEIL; G += (255 - G) * NEAR_VEIL; B += (255 - B) * NEAR_VEIL;
      }
      if (!isRead(st, i, j)) { R *= UNREAD_DIM; G *= UNREAD_DIM; B *= UNREAD_DIM; }
      return [Math.round(R), Math.round(G), Math.round(B)];
    };
    const box = hasDetail && st.h * st.w > (st.detail[2] - st.detail[0]) * (st.detail[3] - st.detail[1])
      ? [st.detail[0] - st.oy, st.detail[1] - st.ox, st.detail[2] - st.oy, st.detail[3] - st.ox]
      : null;
    drawMap(inBase, st.x, st.h, st.w, cell, m, inScale, valuesFor(st.h + m[0] + m[1], st.w + m[2] + m[3]),
      tint, box);
    sizeCanvas(inOv, inW, inH);
    colourBar(pin, inScale, Math.max(96, Math.min(256, Math.round(inW))));
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
    const outW = st.ow * cell;
    const pout = panel("linked-output", `${st.labels[1]} ${st.oh}\u00d7${st.ow}`, outW);
    if (hasDetail) {
      note(pout, `rows ${range(st.R0, st.R0 + st.oh)}, cols ${range(st.C0, st.C0 + st.ow)} of the full map`);
    }
    const outStack = el("div", "linked-stack", pout);
    const outBase = el("canvas", "linked-base", outStack), outOv = el("canvas", "linked-overlay", outStack);
    drawMap(outBase, st.out, st.oh, st.ow, cell, [0, 0, 0, 0], outScale, valuesFor(st.oh, st.ow));
    sizeCanvas(outOv, outW, st.oh * cell);
    colourBar(pout, outScale, Math.max(96, Math.min(256, Math.round(outW))));
    if (fixed) el("div", "linked-note", root, `fixed colour scale ${fmt(st.fixed[0])} to ${fmt(st.fixed[1])} for both maps`);
    const arith = el("div", "linked-arith", root);
    arith.innerHTML = "Hover over an output pixel to see its input window and the arithmetic; " +
      "click an input pixel to see every output pixel it reaches.";
    geo = { cell, i0, j0, inBase, inOv, outBase, outOv, arith,
            inCtx: inOv.getContext("2d"), outCtx: outOv.getContext("2d") };

    outBase.addEventListener("mousemove", onOutMove);
    outBase.addEventListener("click", onOutMove);
    outBase.addEventListener("mouseleave", onOutLeave);
    inBase.addEventListener("click", onInClick);
  }

  function cellAt(ev, cv) {
    const rect = cv.getBoundingClientRect();
    const sx = rect.width / parseFloat(cv.style.width), sy = rect.height / parseFloat(cv.style.height);
    return [Math.floor((ev.clientY - rect.top) / sy / geo.cell),
            Math.floor((ev.clientX - rect.left) / sx / geo.cell)];
  }

  function drawOverlays() {
    const { cell, i0, j0, inCtx, outCtx, inOv, outOv } = geo;
    const dpr = window.devicePixelRatio || 1;
    // input (i, j) and output (r, c), full-map indices, to canvas CSS px
    const ix = (j) => (j - j0) * cell, iy = (i) => (i - i0) * cell;
    const ox = (c) => (c - st.C0) * cell, oy = (r) => (r - st.R0) * cell;
    inCtx.clearRect(0, 0, inOv.width / dpr, inOv.height / dpr);
    outCtx.clearRect(0, 0, outOv.width / dpr, outOv.height / dpr);
    if (field) {
      outCtx.fillStyle = "rgba(0, 200, 255, 0.45)";
      for (const [r, c] of field.cells) outCtx.fillRect(ox(c), oy(r), cell, cell);
      outline(inCtx, ix(field.in[1]), iy(field.in[0]), cell, cell, "#00c8ff", 2);
    }
    if (hover) {
      const ar = hover.ar;
      const [r, c] = ar.out;
      if (ar.op === "transpose") {
        outCtx.setLineDash([4, 3]);
        for (const t of ar.terms) { // each contributing stamp's footprint on the output
          outCtx.lineWidth = 1.5;
          outCtx.strokeStyle = "#ff9f1c";
          outCtx.strokeRect(ox(st.s * t.j) + 0.75, oy(st.s * t.i) + 0.75, st.kw * cell - 1.5, st.kh * cell - 1.5);
        }
        outCtx.setLineDash([]);
        for (const t of ar.terms) outline(inCtx, ix(t.j), iy(t.i), cell, cell, "#ff9f1c", 2);
      } else {
        const [r0, c0, r1, c1] = ar.window;
        outline(inCtx, ix(c0), iy(r0), (c1 - c0) * cell, (r1 - r0) * cell, "#ff9f1c", 2);
        if (ar.op === "maxpool") {
          const [i, j] = ar.argmax;
          inCtx.fillStyle = "rgba(255, 60, 60, 0.55)";
          inCtx.fillRect(ix(j), iy(i), cell, cell);
        }
      }
      outline(outCtx, ox(c), oy(r), cell, cell, "#ff9f1c", 2);
    }
  }

  let hoverSync = 0;
  function onOutMove(ev) {
    if (!geo) return;
    const tEvent = ev.timeStamp > 0 && ev.timeStamp <= performance.now() ? ev.timeStamp : performance.now();
    const [lr, lc] = cellAt(ev, geo.outBase);
    if (lr < 0 || lc < 0 || lr >= st.oh || lc >= st.ow) return;
    const r = st.R0 + lr, c = st.C0 + lc;
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

  function onOutLeave() {
    // the outline follows the mouse: it goes when the mouse leaves (the arithmetic stays to read)
    if (!geo || !hover) return;
    hover = null;
    delete root.dataset.hoverOut;
    drawOverlays();
  }

  function onInClick(ev) {
    if (!geo) return;
    const [ci, cj] = cellAt(ev, geo.inBase);
    const i = geo.i0 + ci, j = geo.j0 + cj;
    if (i < st.oy || j < st.ox || i >= st.oy + st.h || j >= st.ox + st.w) return; // padding
    if (field && field.in[0] === i && field.in[1] === j) {
      field = null; // a second click on the same pixel clears it
      delete root.dataset.fieldIn;
      delete root.dataset.fieldNote;
      root.dataset.fieldCount = "0";
    } else {
      const cells = projectiveField(st, i, j);
      const note = fieldNote(st, i, j, cells.length);
      field = { in: [i, j], cells, note };
      root.dataset.fieldIn = `${i},${j}`;
      root.dataset.fieldCount = String(cells.length);
      if (note) root.dataset.fieldNote = note;
      else delete root.dataset.fieldNote;
      geo.arith.innerHTML = `<div class="linked-field">${fieldHtml(st, i, j, cells.length, note)}</div>`;
    }
    drawOverlays();
    model.set("selected", field
      ? { in: field.in, count: field.cells.length, out: field.cells, note: field.note || "" }
      : {});
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
