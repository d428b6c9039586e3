// Panels front-end (anywidget ESM): every picture of an explorer, updated from one message.
//
// Python (course_utils/widgets/panels.py) syncs names, captions, widths and the info line, each
// picture (p0, p1, ...) and colour bar (c0, c1, ...) as PNG bytes, and the key of the frame: its
// control values as JSON.  A message carries only what changed.  A picture whose bytes did not
// change keeps its <img> untouched.
//
// Frames ahead of the slider: this view keeps every frame it receives under its key (the
// kernel's frames, and the frames the kernel sends ahead in a "frames" message), and listens to
// the control widgets itself.  When the controls land on a key it holds, it shows that frame at
// once; the kernel's own frame for that key, which follows, then changes nothing.  A frame is
// shown only for its exact key.  For tests the element carries data-key (the frame shown) and
// data-kernel-key (the kernel's last frame).

const CACHE_SIZE = 128; // BROWSER_CACHE in panels.py
const MAX_PICTURES = 8; // MAX_PICTURES in panels.py

const EMPTY = new Uint8Array(0);
const views = new WeakMap(); // synced value -> its bytes, so one picture is one object

function bytesOf(v) {
  if (!v || !(v instanceof ArrayBuffer || ArrayBuffer.isView(v))) return EMPTY;
  let bytes = views.get(v);
  if (!bytes) {
    bytes =
      v instanceof ArrayBuffer
        ? new Uint8Array(v)
        : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    views.set(v, bytes);
  }
  return bytes;
}

function same(a, b) {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// a data: URL, not a blob: URL: Chromium loads an image from a data: URL without a fetch (in one
// A/B run of the browser suite, key press to loaded picture: median 19 ms against 24 ms)
function dataUrl(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return `data:image/png;base64,${btoa(text)}`;
}

// the key of the controls' current values, as panels.control_key writes it
function controlKey(models) {
  return JSON.stringify(
    models.map((m) => {
      const index = m.get("index");
      return index === undefined ? m.get("value") : index;
    }),
  );
}

function render({ model, el }) {
  // One URL per picture (per bytes object), shared by every frame that holds it, decoded as soon
  // as it arrives: a frame from the cache then shows without waiting for a decode.
  const urls = new Map(); // Uint8Array -> {url, refs, image}
  function acquire(bytes) {
    if (!bytes || !bytes.length) return null;
    let entry = urls.get(bytes);
    if (!entry) {
      const url = dataUrl(bytes);
      const image = new Image();
      image.src = url;
      image.decode().catch(() => {});
      entry = { url, refs: 0, image };
      urls.set(bytes, entry);
    }
    entry.refs++;
    return entry.url;
  }
  function release(bytes) {
    const entry = bytes && urls.get(bytes);
    if (!entry || --entry.refs > 0) return;
    urls.delete(bytes);
  }
  function hold(frame) {
    [...frame.pics, ...frame.bars].forEach(acquire);
  }
  function drop(frame) {
    [...frame.pics, ...frame.bars].forEach(release);
  }

  function setPicture(img, bytes, keep) {
    if (same(keep.bytes, bytes)) return;
    const url = acquire(bytes);
    release(keep.bytes);
    keep.bytes = bytes;
    if (url) img.src = url;
    else img.removeAttribute("src");
    img.style.display = url ? "" : "none";
  }

  el.classList.add("course-panels-box");
  const row = document.createElement("div");
  row.className = "course-panels";
  const info = document.createElement("div");
  info.className = "course-panels-info";
  el.append(row, info);
  let columns = [];
  let controls = []; // the control widgets' models, in key order (once resolved)
  const cache = new Map(); // key -> frame, oldest first
  let shownInfo = null;

  function sameFrame(a, b) {
    return (
      a.info === b.info &&
      a.widths.join() === b.widths.join() &&
      a.pics.every((p, i) => same(p, b.pics[i])) &&
      a.bars.every((p, i) => same(p, b.bars[i]))
    );
  }

  function remember(key, frame) {
    if (!key) return;
    hold(frame);
    if (cache.has(key)) drop(cache.get(key));
    cache.delete(key);
    cache.set(key, frame);
    while (cache.size > CACHE_SIZE) {
      const oldest = cache.keys().next().value;
      drop(cache.get(oldest));
      cache.delete(oldest);
    }
  }

  function build() {
    row.replaceChildren();
    columns = model.get("names").map(() => {
      const col = document.createElement("div");
      col.className = "course-panel";
      const caption = document.createElement("b");
      const img = document.createElement("img");
      img.className = "course-explorer-image";
      const bar = document.createElement("img");
      bar.className = "course-colorbar";
      col.append(caption, img, bar);
      row.append(col);
      return { caption, img, bar, pic: {}, cbar: {} };
    });
  }

  // the frame the kernel last sent (its synced state)
  function kernelFrame() {
    const n = model.get("names").length;
    const pics = [], bars = [];
    for (let i = 0; i < n; i++) {
      pics.push(bytesOf(model.get(`p${i}`)));
      bars.push(bytesOf(model.get(`c${i}`)));
    }
    return { pics, bars, widths: model.get("widths").slice(), info: model.get("info") };
  }

  function display(frame, key) {
    if (columns.length !== model.get("names").length) build();
    const captions = model.get("captions");
    columns.forEach((c, i) => {
      c.caption.textContent = captions[i] ?? "";
      setPicture(c.img, frame.pics[i] ?? EMPTY, c.pic);
      c.img.style.width = `${frame.widths[i]}px`;
      setPicture(c.bar, frame.bars[i] ?? EMPTY, c.cbar);
      c.bar.style.width = `${frame.widths[i]}px`;
    });
    if (frame.info !== shownInfo) {
      info.innerHTML = frame.info; // HTML written by the explorer's step
      shownInfo = frame.info;
    }
    el.dataset.key = key;
  }

  function current() {
    return controls.length ? controlKey(controls) : null;
  }

  // the kernel's frame arrived: keep it; show it unless the controls are already elsewhere and
  // that frame is at hand
  function onKernel() {
    const key = model.get("key");
    let frame = kernelFrame();
    const held = key ? cache.get(key) : undefined;
    if (held && sameFrame(held, frame)) frame = held; // keep its pictures, already decoded
    remember(key, frame);
    el.dataset.kernelKey = key;
    const now = current();
    if (now !== null && now !== key && cache.has(now)) display(cache.get(now), now);
    else display(frame, key);
  }

  // a control moved (in this browser or from the kernel): show its frame if we hold it
  function onControl() {
    const now = current();
    if (now !== null && now !== el.dataset.key && cache.has(now)) display(cache.get(now), now);
  }

  // frames sent ahead: [{key, widths, info, same: [[picture same as shown, bar same], ...]}],
  // buffers: picture, bar, picture, bar, ... (empty where "same")
  function onMessage(msg, buffers) {
    if (!msg || msg.kind !== "frames") return;
    const shown = kernelFrame();
    let b = 0;
    for (const f of msg.frames) {
      const pics = [], bars = [];
      f.same.forEach(([samePic, sameBar], i) => {
        const pic = bytesOf(buffers[b++]), bar = bytesOf(buffers[b++]);
        pics.push(samePic ? shown.pics[i] : pic.slice());
        bars.push(sameBar ? shown.bars[i] : bar.slice());
      });
      remember(f.key, { pics, bars, widths: f.widths, info: f.info });
    }
    onControl();
  }

  // one message changes several keys: redraw once, after all of them
  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      onKernel();
    });
  }
  const KEYS = ["names", "captions", "widths", "info", "key"];
  for (let i = 0; i < MAX_PICTURES; i++) KEYS.push(`p${i}`, `c${i}`);
  onKernel();
  for (const key of KEYS) model.on(`change:${key}`, schedule);
  model.on("msg:custom", onMessage);

  let closed = false;
  const refs = (model.get("controls") ?? []).map((ref) => String(ref).replace(/^IPY_MODEL_/, ""));
  Promise.all(refs.map((id) => model.widget_manager.get_model(id)))
    .then((models) => {
      if (closed) return;
      controls = models;
      for (const m of controls) m.on("change:index change:value", onControl);
      onControl();
      model.send({ kind: "ready" }); // the kernel starts sending frames ahead
    })
    .catch((err) => console.warn("course panels: controls not found; no frames ahead", err));

  return () => {
    closed = true;
    for (const key of KEYS) model.off(`change:${key}`, schedule);
    model.off("msg:custom", onMessage);
    for (const m of controls) m.off("change:index change:value", onControl);
    urls.clear();
    cache.clear();
  };
}

export default { render };
