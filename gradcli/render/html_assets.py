"""The HTML page's shell: its stylesheet and its script, hand-written and inline (one place each).

Light and dark by `prefers-color-scheme`; printed, the page is the plain tables (no controls, no
picture, nothing dimmed). The script reads the walk (JSON in a <script type="application/json">)
and only ever sets text (`textContent`) or clones the page's own elements: no text of the
derivation is parsed as markup.
"""

from __future__ import annotations

from html import escape

TITLE = "gradcli:"
# Nothing from elsewhere: no request can leave the page (inline style and script only).
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

CSS = """
html,body{margin:0;background:#fff}
@media (prefers-color-scheme:dark){html,body{background:#16181d}}
.gc{--bg:#fff;--fg:#1b1b1b;--muted:#6b6b6b;--line:#d0d0d0;--box:#fff;--input:#dbe9ff;--const:#eee;
--out:#d5f5d5;--kink:#fff2b3;--hl:#c2410c;--hlbg:#ffe8cc;--cur:#fff7d6;--edge:#7a7a7a;
font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);
padding:1rem 1.5rem;line-height:1.4}
@media (prefers-color-scheme:dark){.gc{--bg:#16181d;--fg:#e8e8e8;--muted:#9aa0a6;--line:#3d4149;
--box:#22252b;--input:#1d3557;--const:#2c2f36;--out:#1b4d2a;--kink:#4d4112;--hl:#ffa94d;
--hlbg:#4a2c0f;--cur:#2f2b18;--edge:#8d939b}}
.gc h1{font-size:1.3rem;font-weight:600}.gc h1 code{font-size:1.1rem}
.gc h2{font-size:1.15rem}
.gc code{font-family:ui-monospace,"DejaVu Sans Mono",monospace}
.gc table{border-collapse:collapse;margin:.8rem 0 1.2rem}
.gc caption{text-align:left;font-weight:600;font-size:1.1rem;padding:.3rem 0}
.gc th,.gc td{border-bottom:1px solid var(--line);padding:.25rem .7rem;text-align:left;vertical-align:middle}
.gc td.num{font-family:ui-monospace,"DejaVu Sans Mono",monospace;text-align:right;white-space:nowrap}
.gc tr:focus{outline:2px solid var(--hl);outline-offset:-2px}
.gc tr.hl,.gc p.hl{background:var(--hlbg)}
.gc tr.current,.gc p.current{box-shadow:inset 4px 0 0 var(--hl)}
.gc tr.future,.gc p.future{opacity:.4}
.gc tr.output th{font-weight:700}
.gc .alt{display:none}
.gc.astext math{display:none}.gc.astext .alt{display:inline}
.gc math{font-size:1.05em}.gc td math,.gc .now math{math-style:normal}
.gc .controls{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:.5rem 0}
.gc .controls button{font:inherit;padding:.25rem .8rem;border:1px solid var(--line);border-radius:5px;
background:var(--box);color:var(--fg);cursor:pointer}
.gc .controls button:focus-visible,.gc .node:focus-visible{outline:3px solid var(--hl);outline-offset:2px}
.gc .status{color:var(--muted);margin-left:.6rem}
.gc .now{font-size:1.5rem;min-height:2.2em;margin:.4rem 0 .8rem;padding:.4rem .9rem;
border-left:5px solid var(--hl);background:var(--cur)}
.gc .now .big{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-weight:700;margin-left:.6rem}
.gc .now .note{font-size:1rem;color:var(--muted);margin-left:.6rem}
.gc .picture{overflow:auto;max-height:75vh;border:1px solid var(--line);border-radius:6px;padding:.3rem}
.gc svg text{font:12px ui-monospace,"DejaVu Sans Mono",monospace;fill:var(--fg)}
.gc svg text.name{font-weight:700}.gc svg text.op{text-anchor:middle;font-size:13px;font-weight:700}
.gc svg text.op.word{font-size:9px;font-weight:400}
.gc svg rect,.gc svg circle{fill:var(--box);stroke:var(--fg);stroke-width:1}
.gc svg .input rect{fill:var(--input)}.gc svg .constant rect{fill:var(--const)}
.gc svg .output rect{fill:var(--out);stroke-width:2}.gc svg .kink rect{fill:var(--kink)}
.gc svg .edge,.gc svg .link{fill:none;stroke:var(--edge);stroke-width:1.4}
.gc svg .edge.hl{stroke:var(--hl);stroke-width:4}
.gc svg .node.hl rect,.gc svg .node.hl circle{stroke:var(--hl);stroke-width:3}
.gc svg text.pending{fill:var(--muted);font-style:italic}
.gc svg text.fresh{fill:var(--hl);font-weight:700}
.gc .no-picture{color:var(--muted)}
@media print{html,body{background:#fff}
.gc{--bg:#fff;--fg:#000;--line:#999;--hlbg:transparent;--cur:transparent;padding:0}
.gc .controls,.gc .now,.gc .picture,.gc .no-picture{display:none}
.gc tr.future,.gc p.future{opacity:1}.gc tr.current,.gc p.current{box-shadow:none}
.gc table{page-break-inside:auto}.gc tr{page-break-inside:avoid}}
"""

JS = r"""
(function () {
  "use strict";
  var root = document.getElementById(ROOT);
  if (!root) return;
  var data = JSON.parse(root.querySelector("script.gc-walk").textContent);
  var P = data.positions, N = data.nodes, last = P.length - 1, at = last, timer = null;
  var now = root.querySelector(".now"), status = root.querySelector(".status");
  var play = root.querySelector(".play");
  function all(s) { return Array.prototype.slice.call(root.querySelectorAll(s)); }
  function one(s) { return root.querySelector(s); }
  function box(id) { return one('svg .node[data-node="' + id + '"]'); }
  function edgesInto(id) { return all('svg .edge[data-of="' + id + '"]'); }
  function clip(s) { return s.length <= data.clip ? s : s.slice(0, data.clip - 1) + "\u2026"; }
  function label(id, cls, text, fresh) {
    var g = box(id), t = g && g.querySelector("text." + cls);
    if (!t) return;
    t.textContent = clip(cls + " " + (text === null ? "?" : text));
    t.classList.toggle("pending", text === null);
    t.classList.toggle("fresh", !!fresh);
  }
  function lit(items) {
    all(".hl").forEach(function (e) { e.classList.remove("hl"); });
    items.forEach(function (e) { if (e) e.classList.add("hl"); });
  }
  function stepItems(of, i, wrt) {
    return [one('svg .edge[data-of="' + of + '"][data-index="' + i + '"]'), box(of), box(wrt)];
  }
  function nodeItems(id) {
    var rows = 'tr[data-node="' + id + '"],tr[data-of="' + id + '"],tr[data-wrt="' + id + '"]';
    return [box(id)].concat(all(rows));
  }
  function walkItems() {
    var p = P[at];
    if (!p) return [];
    if (p.k === "b") return stepItems(p.of, p.i, p.wrt);
    if (p.node === undefined) return [];
    return [box(p.node)].concat(p.k === "f" ? edgesInto(p.node) : []);
  }
  function rest() { lit(walkItems()); }
  function span(cls, text) {
    var s = document.createElement("span");
    s.className = cls;
    s.textContent = text;
    return s;
  }
  function add(node) { now.appendChild(node); }
  function say(p) {
    now.textContent = "";
    if (!p) return;
    var row = one('[data-pos="' + at + '"]'), cells, f;
    if (p.k === "in") {
      now.textContent = "The inputs are given. Next: the forward pass, one node at a time.";
    } else if (p.k === "f") {
      cells = row ? row.querySelectorAll("th,td") : [];
      if (cells.length > 1) {  // the name and the definition, as in the row
        add(cells[0].querySelector("math").cloneNode(true));
        add(document.createTextNode(" = "));
        add((cells[1].querySelector("math") || cells[1]).cloneNode(true));
      }
      add(span("big", "= " + p.v));
    } else if (p.k === "s") {
      now.textContent = "Backward pass: start with 1 at the output.";
    } else if (p.k === "b") {
      add(span("note", "step " + p.step + ", " + p.edge + ":"));
      add(document.createTextNode(" "));
      f = row && row.querySelector(".local-formula .eq");
      if (f) add(f.cloneNode(true));
      add(document.createElement("br"));
      add(span("big", p.local + " \u00d7 " + p.up + " = " + p.c));
      add(span("note", "grad so far: " + p.g));
    } else if (p.k === "sum") {
      add(span("big", row ? row.textContent.replace(/\s+/g, " ").trim() : p.g));
    } else {
      now.textContent = "Done: every value and gradient computed.";
    }
  }
  function show(k) {
    at = Math.max(0, Math.min(last, k));
    var v = {}, g = {}, id, j, p, fresh = null, end = at === last;
    for (id in N) {
      v[id] = N[id].leaf || end ? N[id].v : null;
      g[id] = end ? N[id].g : null;
    }
    for (j = 1; j <= at && !end; j++) {
      p = P[j];
      if (p.k === "f") v[p.node] = p.v;
      else if (p.k === "s" || p.k === "sum") g[p.node] = p.g;
      else if (p.k === "b") g[p.wrt] = p.g;
    }
    p = P[at];
    if (p && !end) fresh = p.k === "b" ? p.wrt : p.node;
    for (id in N) {
      label(id, "data", v[id], p && p.k === "f" && +id === fresh);
      if (N[id].g !== null) label(id, "grad", g[id], p && p.k !== "f" && +id === fresh);
    }
    all("[data-pos]").forEach(function (r) {
      var n = +r.getAttribute("data-pos");
      r.classList.toggle("future", !end && n > at);
      r.classList.toggle("current", !end && n === at);
    });
    if (status) {
      status.textContent = (end ? "end" : "position " + at + " of " + last) +
        (p && p.k === "b" ? ", step " + p.step : "");
    }
    say(p);
    rest();
  }
  function stop() {
    if (timer) { clearInterval(timer); timer = null; }
    if (play) { play.textContent = "\u25b6 play"; play.setAttribute("aria-pressed", "false"); }
  }
  function toggle() {
    if (timer) { stop(); return; }
    if (at >= last) show(0);
    play.textContent = "\u23f8 pause";
    play.setAttribute("aria-pressed", "true");
    timer = setInterval(function () { if (at >= last) stop(); else show(at + 1); }, 900);
  }
  var acts = {
    first: function () { stop(); show(0); },
    prev: function () { stop(); show(at - 1); },
    play: toggle,
    next: function () { stop(); show(at + 1); },
    end: function () { stop(); show(last); }
  };
  all(".controls button").forEach(function (b) {
    b.addEventListener("click", function () { acts[b.getAttribute("data-act")](); });
  });
  var text = one(".astext-toggle");
  if (text) {
    text.addEventListener("change", function () { root.classList.toggle("astext", text.checked); });
  }
  function hover(el, items) {
    ["mouseenter", "focus"].forEach(function (e) {
      el.addEventListener(e, function () { lit(items()); });
    });
    ["mouseleave", "blur"].forEach(function (e) { el.addEventListener(e, rest); });
  }
  all("tr.step").forEach(function (r) {
    hover(r, function () {
      var a = r.getAttribute.bind(r);
      return [r].concat(stepItems(a("data-of"), a("data-index"), a("data-wrt")));
    });
  });
  all("tr[data-node]").forEach(function (r) {
    var id = r.getAttribute("data-node");
    hover(r, function () { return [r, box(id)].concat(edgesInto(id)); });
  });
  all("svg .node").forEach(function (n) {
    hover(n, function () { return nodeItems(n.getAttribute("data-node")); });
  });
  all("[data-pos]").forEach(function (r) {
    r.addEventListener("click", function () { stop(); show(+r.getAttribute("data-pos")); });
  });
  function key(e) {
    var t = e.target, rows, i;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA")) return;
    if (e.key === "ArrowRight") acts.next();
    else if (e.key === "ArrowLeft") acts.prev();
    else if (e.key === "Home") acts.first();
    else if (e.key === "End") acts.end();
    else if ((e.key === "ArrowDown" || e.key === "ArrowUp") && t && t.tagName === "TR") {
      rows = all("tr[tabindex]");
      i = rows.indexOf(t) + (e.key === "ArrowDown" ? 1 : -1);
      if (rows[i]) rows[i].focus();
    } else if (e.key === "Enter" && t && t.hasAttribute && t.hasAttribute("data-pos")) {
      stop();
      show(+t.getAttribute("data-pos"));
    } else return;
    e.preventDefault();
  }
  (STANDALONE ? document : root).addEventListener("keydown", key);
  show(last);
})();
"""


def controls() -> list[str]:
    buttons = [
        ("first", "« start", "go to the start (Home)"),
        ("prev", "◀ previous", "previous step (←)"),
        ("play", "▶ play", "play the passes"),
        ("next", "next ▶", "next step (→)"),
        ("end", "end »", "show everything (End)"),
    ]
    html = [
        f'<button type="button" class="{act}" data-act="{act}" title="{title}">{text}</button>'
        for act, text, title in buttons
    ]
    return [
        '<div class="controls" role="toolbar" aria-label="walk through the derivation">',
        *html,
        '<label><input type="checkbox" class="astext-toggle"> formulas as text</label>',
        '<span class="status" aria-live="polite"></span>',
        "</div>",
    ]


def page(root: str, body: list[str], walk_json: str, source: str, standalone: bool, walk: bool) -> str:
    """The document (`standalone`) or the fragment for a notebook; `root` must be a plain id."""
    script = ""
    if walk:
        code = JS.replace("ROOT", f'"{root}"').replace("STANDALONE", "true" if standalone else "false")
        script = (
            f'<script type="application/json" class="gc-walk">{walk_json}</script><script>{code}</script>'
        )
    fragment = f'<div class="gc" id="{root}">\n' + "\n".join(body) + f"\n{script}</div>\n"
    style = f"<style>{CSS}</style>"
    if not standalone:
        return style + fragment
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light dark">\n'
        f"<title>{escape(TITLE + ' ' + source)}</title>\n{style}\n</head>\n"
        f"<body>\n{fragment}</body>\n</html>\n"
    )
