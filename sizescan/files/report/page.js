// The sizescan report: a zoomable treemap and tables, drawn from the JSON
// block #data.  Every name is set with textContent: names are data, never
// markup.  d3-hierarchy (vendored beside this file) does the layout.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("data").textContent);
  const MIN_BOX = 3;          // px: smaller boxes are not drawn (nor what is inside them)
  const LABEL_W = 36, LABEL_H = 14, HEADER = 15;  // px: room a label needs
  // Colour-blind-safe hues (Tableau 10) for the largest kinds of file.
  const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                   "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#a0cbe8"];
  const OTHER = "#bab0ac";
  const map = document.getElementById("map");
  const info = document.getElementById("info");
  let measure = data.sorted_by === "apparent" ? "s" : "u";
  let view = null;            // the d3 node the treemap shows
  const boxOf = new WeakMap(); // element -> d3 node

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  // Sizes as the command prints them: binary units, or decimal with --si.
  function size(n) {
    const step = 1024, units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let i = 0;
    while (n >= step && i < units.length - 1) { n /= step; i++; }
    return i === 0 ? n + " B" : n.toFixed(1) + " " + units[i];
  }
  const count = n => n.toLocaleString("en");
  const share = (part, whole) => whole > 0 ? (100 * part / whole).toFixed(1) + "%" : "-";

  // Colours: the ten largest kinds of file (by the scan's measure) have a
  // hue each; everything else is grey.
  const colourOf = new Map();
  data.kinds.forEach(([kind], i) => {
    if (kind !== "(directory)" && colourOf.size < PALETTE.length) colourOf.set(i, PALETTE[colourOf.size]);
  });

  // A directory's own size (its entry, not what is in it) fills the part of
  // its box its children leave: boxes add up to the totals at every level.
  // Its direct part (its entry and its files, without its subdirectories)
  // is what --since compares with the snapshot's.
  (function own(node) {
    if (!node.c) return;
    let s = 0, u = 0, ds = 0, du = 0;
    for (const child of node.c) {
      own(child); s += child.s; u += child.u;
      if (child.c) { ds += child.s; du += child.u; }
    }
    node.os = Math.max(0, node.s - s);
    node.ou = Math.max(0, node.u - u);
    node.ds = node.s - ds;
    node.du = node.u - du;
  })(data.tree);

  // With --since, boxes can be coloured by how much their directory's own
  // part grew (red) or shrank (blue) since the snapshot; a new directory
  // is all growth.
  const history = data.history || {trend: [], places: []};
  const since = history.since;
  let colourBy = since ? "growth" : "type";
  const GREW = [214, 39, 40], SHRANK = [31, 119, 180], SAME = "#d9dcdf";
  function change(d) {  // [now, then] of a directory's own part, by the measure
    const now = measure === "u" ? d.du : d.ds;
    const then = d.g ? (measure === "u" ? d.g[3] : d.g[2]) : 0;
    return [now, then];
  }
  function growthColour(d) {
    const [now, then] = change(d);
    if (now === then) return SAME;
    const r = (now - then) / Math.max(now, then, 1);
    const [cr, cg, cb] = r > 0 ? GREW : SHRANK;
    const a = 0.25 + 0.75 * Math.min(1, Math.abs(r));
    const mix = (c) => Math.round(255 - a * (255 - c));
    return `rgb(${mix(cr)}, ${mix(cg)}, ${mix(cb)})`;
  }

  const root = d3.hierarchy(data.tree, d => d.c);
  function weigh() {
    const key = measure, ownKey = "o" + measure;
    root.sum(d => d.c ? d[ownKey] : d[key]);
    root.sort((a, b) => b.value - a.value);
  }

  function pathOf(node) {
    const names = node.ancestors().reverse().slice(1).map(n => n.data.n);
    if (names.length === 0) return data.paths.join(", ");
    let path = names[0];
    for (const name of names.slice(1)) path += (path.endsWith("/") ? "" : "/") + name;
    return path;
  }

  function kindName(node) {
    if (node.data.x) return "smaller entries, together";
    if (node.data.c) return "directory";
    return node.data.k === undefined ? "file" : data.kinds[node.data.k][0];
  }

  function describe(node) {
    const d = node.data;
    info.replaceChildren();
    info.append(el("b", node.depth === 0 ? "Everything scanned" : pathOf(node)), el("br"));
    const files = d.c || d.x ? count(d.f) + " files, " : "";
    const unreadable = d.r ? " Some of it could not be read: this is a lower bound." : "";
    info.append(`${size(d.u)} on disk, ${size(d.s)} apparent; ${files}${kindName(node)}; ` +
      `${share(node.value, view.value)} of this view, ${share(node.value, root.value)} of all.` +
      unreadable);
    if (d.b) info.append(el("br"), `Not valid UTF-8: the name's bytes in base64 are ${d.b}`);
    if (since && d.c && node.depth > 0) {
      const key = measure === "u" ? 1 : 0, now = d[measure];
      const then = d.g ? d.g[key] : 0;
      const [ownNow, ownThen] = change(d);
      info.append(el("br"), d.g
        ? `Since snapshot ${since.id}: ${signed(now - then)} (then ${size(then)}); ` +
          `in itself and its own files ${signed(ownNow - ownThen)}.`
        : `New since snapshot ${since.id}.`);
    }
  }
  const signed = n => (n > 0 ? "+" : n < 0 ? "-" : "±") + size(Math.abs(n));
  const day = t => new Date(t * 1000).toLocaleString();

  function draw() {
    const width = map.clientWidth, height = map.clientHeight;
    // Laid out from the view down, on a copy: zooming never moves the
    // boxes of the whole tree.
    const top = view.copy();
    d3.treemap().size([width, height]).tile(d3.treemapSquarify).round(false)
      .paddingInner(1).paddingOuter(2)
      .paddingTop(n => n === top ? 2 : (n.y1 - n.y0) > HEADER * 2 && (n.x1 - n.x0) > LABEL_W ? HEADER : 2)(top);
    const original = new Map();
    (function pair(copy, node) {
      original.set(copy, node);
      if (copy.children) copy.children.forEach((c, i) => pair(c, node.children[i]));
    })(top, view);

    const frag = document.createDocumentFragment();
    const stack = top.children ? top.children.slice().reverse() : [];
    let drawn = 0;
    while (stack.length) {
      const n = stack.pop();
      const w = n.x1 - n.x0, h = n.y1 - n.y0;
      if (w < MIN_BOX || h < MIN_BOX) continue;
      const d = n.data, node = original.get(n);
      const box = el("div", undefined, "box " + (d.x ? "fold" : d.c ? "dir" : "file"));
      if (d.c && (n.depth - top.depth) % 2 === 0) box.classList.add("deep");
      if (d.r) box.classList.add("unreadable");
      if (colourBy === "growth" && !d.c) box.style.background = growthColour(n.parent.data);
      else if (!d.c && !d.x) box.style.background = colourOf.get(d.k) || OTHER;
      box.style.left = n.x0 + "px"; box.style.top = n.y0 + "px";
      box.style.width = w + "px"; box.style.height = h + "px";
      box.dataset.size = String(d.s); box.dataset.disk = String(d.u);
      box.dataset.depth = String(n.depth - top.depth);
      box.tabIndex = n.depth - top.depth === 1 ? 0 : -1;
      if (w > LABEL_W && h > LABEL_H) box.textContent = d.n;
      box.setAttribute("aria-label", d.n + ", " + size(d[measure]));
      boxOf.set(box, node);
      frag.append(box);
      drawn++;
      if (n.children) for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
    }
    map.replaceChildren(frag);
    map.dataset.boxes = String(drawn);
    crumbs();
  }

  function crumbs() {
    const nav = document.getElementById("crumbs");
    nav.replaceChildren();
    for (const node of view.ancestors().reverse()) {
      const b = el("button", node.depth === 0 ? "All" : node.data.n);
      b.type = "button";
      b.title = node.depth === 0 ? "Everything scanned" : pathOf(node);
      b.addEventListener("click", () => zoom(node));
      nav.append(b);
    }
  }

  function zoom(node) {
    if (!node || node === view) return;
    view = node;
    draw();
    describe(view);
  }

  // A click zooms into the directory clicked, or the one holding the file.
  map.addEventListener("click", e => {
    let node = boxOf.get(e.target);
    if (!node) return;
    if (!node.data.c) node = node.parent;
    if (node && node !== view) zoom(node);
  });
  map.addEventListener("mouseover", e => { const n = boxOf.get(e.target); if (n) describe(n); });
  map.addEventListener("focusin", e => { const n = boxOf.get(e.target); if (n) describe(n); });
  map.addEventListener("keydown", e => {
    const n = boxOf.get(e.target);
    if (e.key === "Enter" && n && n.data.c) { zoom(n); e.preventDefault(); }
  });
  document.addEventListener("keydown", e => {
    if ((e.key === "Backspace" || e.key === "Escape") && view.parent &&
        !(e.target instanceof HTMLInputElement)) {
      zoom(view.parent);
      e.preventDefault();
    }
  });
  for (const radio of document.querySelectorAll("#measure input")) {
    radio.checked = radio.value === measure;
    radio.addEventListener("change", () => { measure = radio.value; weigh(); draw(); panels(); });
  }
  let resizing = 0;
  window.addEventListener("resize", () => {
    cancelAnimationFrame(resizing);
    resizing = requestAnimationFrame(draw);
  });

  function header() {
    const where = data.paths.join(", ");
    document.getElementById("where").textContent = where;
    document.title = "sizescan: " + where;
    const t = data.totals, dl = document.getElementById("totals");
    const when = data.started_at ? new Date(data.started_at * 1000).toLocaleString() : "unknown";
    const rows = [["disk usage", size(t.disk)], ["apparent size", size(t.size)],
                  ["files", count(t.files)], ["dirs", count(t.dirs)], ["errors", count(t.errors)],
                  ["scanned", when]];
    if (data.host) rows.push(["host", data.host]);
    if (data.source) rows.push(["read from", data.source]);
    for (const [k, v] of rows) {
      const row = el("div");
      row.append(el("dt", k), el("dd", v));
      dl.append(row);
    }
    if (since) {
      const choice = el("fieldset");
      choice.id = "colouring";
      choice.append(el("legend", "Colour by"));
      for (const [value, text] of [["growth", `growth since ${day(since.taken_at)}`], ["type", "type"]]) {
        const label = el("label"), input = el("input");
        input.type = "radio"; input.name = "colouring"; input.value = value;
        input.checked = value === colourBy;
        input.addEventListener("change", () => { colourBy = value; legend(); draw(); });
        label.append(input, " " + text);
        choice.append(label);
      }
      document.querySelector("header").append(choice);
    }
    legend();
    document.getElementById("about").textContent =
      `sizescan ${data.version}; at most ${count(data.boxes)} boxes: each directory's smaller ` +
      "entries are folded into one box, and sizes still add up to the totals.";
  }

  function legend() {
    const list = document.getElementById("legend");
    list.replaceChildren();
    const swatch = (label, colour) => {
      const li = el("li", label);
      li.style.setProperty("--swatch", colour);
      list.append(li);
    };
    if (colourBy === "growth") {
      swatch(`grew since snapshot ${since.id} (its own files; new: all)`, `rgb(${GREW.join(",")})`);
      swatch("shrank", `rgb(${SHRANK.join(",")})`);
      swatch("unchanged", SAME);
    } else {
      for (const [i, colour] of colourOf) swatch(data.kinds[i][0], colour);
      swatch("other files", OTHER);
    }
    swatch("directory", "#eef0f3");
    if (colourBy !== "growth") swatch("smaller entries, folded", "#d3d6db");
  }

  // The history's panels: where it changed since the snapshot, and the
  // PATH's totals in every snapshot (and now).
  function historyPanels() {
    const holder = document.getElementById("panels");
    if (since) {
      const section = el("section");
      section.id = "growth";
      section.append(el("h2", `Where it changed since snapshot ${since.id} (${day(since.taken_at)})`),
                     Object.assign(el("table"), {id: "places"}));
      holder.prepend(section);
    }
    if (history.trend.length) {
      const section = el("section");
      section.id = "trend";
      section.append(el("h2", "Over time"), Object.assign(el("table"), {id: "over-time"}));
      holder.prepend(section);
    }
  }
  const BARS = "▁▂▃▄▅▆▇█";
  function sparkline(values) {
    const low = Math.min(...values), high = Math.max(...values);
    return values.map(v => BARS[high > low ? Math.floor((v - low) * 7 / (high - low)) : 0]).join("");
  }

  function table(id, head, rows, empty) {
    const t = document.getElementById(id);
    t.replaceChildren();
    if (t.nextElementSibling) t.nextElementSibling.remove();  // the last "empty" note
    const tr = el("tr");
    for (const h of head) tr.append(el("th", h));
    t.append(tr);
    for (const row of rows) {
      const r = el("tr");
      for (const cell of row) r.append(el("td", cell));
      t.append(r);
    }
    if (!rows.length) t.after(el("p", empty, "note"));
  }

  // The panels give sizes by the measure the switch is on, and shares of its total.
  function panels() {
    const apparent = measure === "s";
    const pick = (s, u) => apparent ? s : u;
    const total = apparent ? data.totals.size : data.totals.disk;
    const what = apparent ? "apparent" : "disk";
    const byPick = rows => rows.slice().sort((a, b) => pick(b[2], b[3]) - pick(a[2], a[3]));
    table("files", ["path", "disk", "apparent"],
          data.files.map(f => [f.n, size(f.u), size(f.s)]), "No files.");
    table("kinds", ["type", "count", what, "share"],
          byPick(data.kinds).map(([k, n, s, u]) => [k, count(n), size(pick(s, u)), share(pick(s, u), total)]),
          "Nothing.");
    table("ages", ["modified", "files", what, "share"],
          (data.ages || []).map(([k, n, s, u]) => [k, count(n), size(pick(s, u)), share(pick(s, u), total)]),
          data.ages ? "No files." : "This export has no modification times.");
    const owners = (data.owners || []).map(([kind, id, name, n, s, u]) =>
      [`${kind} ${name}` + (String(id) === name ? "" : ` (${id})`), n, s, u]);
    table("owners", ["owner", "entries", what, "share"],
          owners.map(([who, n, s, u]) => [who, count(n), size(pick(s, u)), share(pick(s, u), total)]),
          "This export has no owners (sizescan writes them with --extended).");
    if (since) {
      table("places", ["path", "change", "now", "status"],
            history.places.map(p => [p.n, signed(pick(p.ds, p.du)), size(pick(p.s, p.u)), p.st]),
            "Nothing changed.");
    }
    if (history.trend.length) {
      const points = history.trend.map(([t, s, u]) => [day(t), pick(s, u)]);
      if (data.started_at) points.push([day(data.started_at) + " (this scan)", pick(data.totals.size, data.totals.disk)]);
      table("over-time", ["when", what, "change"],
            points.map(([when, v], i) => [when, size(v), i ? signed(v - points[i - 1][1]) : ""]), "");
      document.querySelector("#trend h2").textContent = "Over time " + sparkline(points.map(p => p[1]));
    }
    table("errors", ["path", "problem"],
          data.errors.map(e => [e.n, (e.op === "read" ? "cannot read directory: " : "cannot access: ") + e.m]),
          "None: every path was read.");
  }

  header();
  historyPanels();
  panels();
  weigh();
  view = root;
  draw();
  // For the tests and the benchmark: when the first treemap was on screen.
  requestAnimationFrame(() => {
    performance.mark("treemap-painted");
    document.body.dataset.painted = "1";
  });
})();
