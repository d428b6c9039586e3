// Panels front-end (anywidget ESM): every picture of an explorer, updated from one message.
//
// Python (course_utils/widgets/panels.py) syncs names, captions and widths as lists, and each
// picture (p0, p1, ...) and colour bar (c0, c1, ...) as PNG bytes; a message carries only the
// pictures that changed.  A picture whose bytes did not change keeps its <img> untouched.

function bytesOf(v) {
  if (!v) return new Uint8Array(0);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return new Uint8Array(0);
}

function same(a, b) {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function setPicture(img, value, keep) {
  const bytes = bytesOf(value);
  if (same(keep.bytes, bytes)) return;
  keep.bytes = bytes.slice();
  if (keep.url) URL.revokeObjectURL(keep.url);
  keep.url = bytes.length ? URL.createObjectURL(new Blob([keep.bytes], { type: "image/png" })) : null;
  if (keep.url) img.src = keep.url;
  else img.removeAttribute("src");
  img.style.display = keep.url ? "" : "none";
}

function render({ model, el }) {
  el.classList.add("course-panels");
  let columns = [];

  function build() {
    el.replaceChildren();
    columns = model.get("names").map(() => {
      const col = document.createElement("div");
      col.className = "course-panel";
      const caption = document.createElement("b");
      const img = document.createElement("img");
      img.className = "course-explorer-image";
      const bar = document.createElement("img");
      bar.className = "course-colorbar";
      col.append(caption, img, bar);
      el.append(col);
      return { caption, img, bar, pic: {}, cbar: {} };
    });
  }

  function update() {
    const names = model.get("names");
    if (columns.length !== names.length) build();
    const captions = model.get("captions"), widths = model.get("widths");
    columns.forEach((c, i) => {
      c.caption.textContent = captions[i] ?? "";
      setPicture(c.img, model.get(`p${i}`), c.pic);
      c.img.style.width = `${widths[i]}px`;
      setPicture(c.bar, model.get(`c${i}`), c.cbar);
      c.bar.style.width = `${widths[i]}px`;
    });
  }

  // one message changes several keys: redraw once, after all of them
  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      update();
    });
  }
  const KEYS = ["names", "captions", "widths"];
  for (let i = 0; i < 8; i++) KEYS.push(`p${i}`, `c${i}`); // MAX_PICTURES in panels.py
  update();
  for (const key of KEYS) model.on(`change:${key}`, schedule);
  return () => {
    for (const key of KEYS) model.off(`change:${key}`, schedule);
    columns.forEach((c) => [c.pic, c.cbar].forEach((k) => k.url && URL.revokeObjectURL(k.url)));
  };
}

export default { render };
