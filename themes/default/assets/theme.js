/*! Lore default theme — theme.js. Progressive enhancement only: every page works without it. */
(function () {
  "use strict";
  var doc = document, root = doc.documentElement, KEY = "lore-theme";
  function $$(sel, ctx) { return Array.prototype.slice.call((ctx || doc).querySelectorAll(sel)); }

  var mq = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  /* The scheme shown: the reader's choice, else the system's. */
  function current() {
    var t = root.getAttribute("data-theme");
    return t === "dark" || t === "light" ? t : (mq && mq.matches ? "dark" : "light");
  }

  /* ---- Light / dark toggle (the inline script in <head> applies the stored choice before paint) ---- */
  function initTheme() {
    var btn = doc.querySelector(".theme-toggle");
    if (!btn) return;
    function sync() {
      var dark = current() === "dark";
      btn.setAttribute("aria-pressed", dark ? "true" : "false");
      btn.title = dark ? "Switch to light theme" : "Switch to dark theme";
    }
    btn.addEventListener("click", function () {
      var next = current() === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem(KEY, next); } catch (e) { /* private mode */ }
      sync();
    });
    if (mq && mq.addEventListener) mq.addEventListener("change", sync);
    window.addEventListener("storage", function (e) {
      if (e.key !== KEY) return;
      if (e.newValue === "dark" || e.newValue === "light") root.setAttribute("data-theme", e.newValue);
      else root.removeAttribute("data-theme");
      sync();
    });
    sync();
  }

  /* ---- Collapsible main navigation on small screens ---- */
  function initNav() {
    var btn = doc.querySelector(".nav-toggle"), nav = doc.getElementById("lore-site-nav");
    if (!btn || !nav) return;
    function set(open) {
      btn.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("open", open);
    }
    btn.addEventListener("click", function () { set(btn.getAttribute("aria-expanded") !== "true"); });
    doc.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && btn.getAttribute("aria-expanded") === "true") { set(false); btn.focus(); }
    });
  }

  /* ---- Copy buttons on code blocks ---- */
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {
      var ta = doc.createElement("textarea");
      ta.value = text; ta.setAttribute("readonly", ""); ta.style.position = "fixed"; ta.style.opacity = "0";
      doc.body.appendChild(ta); ta.select();
      try { doc.execCommand("copy") ? resolve() : reject(); } catch (e) { reject(e); }
      doc.body.removeChild(ta);
    });
  }
  function initCode() {
    $$("pre.code, .prose pre").forEach(function (pre) {
      if (pre.parentNode.classList.contains("code-block") || pre.classList.contains("mermaid")) return;
      var wrap = doc.createElement("div"), tools = doc.createElement("div"), btn = doc.createElement("button");
      wrap.className = "code-block";
      tools.className = "code-tools";
      var lang = pre.getAttribute("data-lang");
      if (lang && lang !== "text" && lang !== "plain") {
        var l = doc.createElement("span");
        l.className = "code-lang"; l.textContent = lang; l.setAttribute("aria-hidden", "true");
        tools.appendChild(l);
      }
      btn.type = "button"; btn.className = "copy-button"; btn.textContent = "Copy";
      btn.setAttribute("aria-label", "Copy code to clipboard");
      tools.appendChild(btn);
      pre.parentNode.insertBefore(wrap, pre);
      wrap.appendChild(pre); wrap.appendChild(tools);
      if (!pre.hasAttribute("tabindex") && pre.scrollWidth > pre.clientWidth) pre.tabIndex = 0;
      var timer;
      btn.addEventListener("click", function () {
        var code = pre.querySelector("code") || pre;
        copyText(code.innerText.replace(/\n$/, "")).then(function () {
          btn.textContent = "Copied"; btn.classList.add("copied");
        }, function () { btn.textContent = "Press Ctrl+C"; }).then(function () {
          clearTimeout(timer);
          timer = setTimeout(function () { btn.textContent = "Copy"; btn.classList.remove("copied"); }, 1800);
        });
      });
    });
  }

  /* ---- Scrollable tables: reachable with the keyboard ---- */
  function initTables() {
    $$(".table-wrap").forEach(function (w) {
      if (w.scrollWidth > w.clientWidth + 1 && !w.hasAttribute("tabindex")) {
        w.tabIndex = 0; w.setAttribute("role", "region");
        var cap = w.querySelector("caption");
        w.setAttribute("aria-label", cap ? cap.textContent : "Table (scrolls horizontally)");
      }
    });
  }

  /* ---- Table of contents: collapsed on narrow screens, current section highlighted ---- */
  function initToc() {
    var toc = doc.querySelector(".toc");
    if (!toc) return;
    var details = toc.querySelector("details");
    var wide = window.matchMedia("(min-width: 68rem)");
    function layout() { if (details) details.open = wide.matches; }
    layout();
    if (wide.addEventListener) wide.addEventListener("change", layout);
    if (details) details.querySelector("summary").addEventListener("click", function (e) {
      if (wide.matches) e.preventDefault(); /* always open beside the text */
    });
    toc.addEventListener("click", function (e) {
      if (!wide.matches && details && e.target.closest && e.target.closest("a")) details.open = false;
    });

    if (!("IntersectionObserver" in window)) return;
    var links = {}, headings = [];
    $$("a[href^='#']", toc).forEach(function (a) {
      var id = decodeURIComponent(a.getAttribute("href").slice(1)), h = doc.getElementById(id);
      if (h) { links[id] = a; headings.push(h); }
    });
    if (!headings.length) return;
    var visible = {}, activeId = null;
    function setActive(id) {
      if (id === activeId) return;
      if (activeId && links[activeId]) { links[activeId].classList.remove("active"); links[activeId].removeAttribute("aria-current"); }
      activeId = id;
      var a = links[id];
      if (!a) return;
      a.classList.add("active"); a.setAttribute("aria-current", "true");
      if (wide.matches && toc.scrollHeight > toc.clientHeight) {
        var top = a.offsetTop - toc.clientHeight / 2;
        toc.scrollTop = top;
      }
    }
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (en) { visible[en.target.id] = en.isIntersecting; });
      var first = null;
      for (var i = 0; i < headings.length; i++) if (visible[headings[i].id]) { first = headings[i].id; break; }
      if (first) { setActive(first); return; }
      /* nothing in the band: keep the last heading above the viewport */
      var last = null;
      for (var j = 0; j < headings.length; j++) {
        if (headings[j].getBoundingClientRect().top < 80) last = headings[j].id; else break;
      }
      setActive(last || headings[0].id);
    }, { rootMargin: "0px 0px -65% 0px", threshold: [0, 1] });
    headings.forEach(function (h) { io.observe(h); });
  }

  /* ---- Decision log: filter by status / tag / text, sort by number or date ---- */
  function initAdrLog() {
    var form = doc.getElementById("adr-filters"), table = doc.querySelector(".adr-table");
    if (!form || !table) return;
    var tbody = table.tBodies[0], rows = $$("tr", tbody), total = rows.length;
    if (!total) return;
    var out = form.querySelector(".filter-result");
    var fStatus = form.elements.status, fTag = form.elements.tag, fQ = form.elements.q, fSort = form.elements.sort;
    rows.forEach(function (r, i) { r._i = i; r._text = r.textContent.toLowerCase().replace(/\s+/g, " "); });

    /* one option per status class (free-text statuses all map to "other") */
    var seen = {};
    $$("option", fStatus).forEach(function (o) {
      if (!o.value) return;
      if (seen[o.value]) { seen[o.value].textContent = "Other"; o.remove(); } else seen[o.value] = o;
    });
    if (fTag.options.length <= 1) fTag.closest(".field").hidden = true;

    var empty = doc.createElement("tr");
    empty.className = "no-results"; empty.hidden = true;
    empty.innerHTML = '<td colspan="6">No decision matches these filters.</td>';
    tbody.appendChild(empty);

    function num(r) { var n = parseFloat(r.getAttribute("data-number")); return isNaN(n) ? Infinity : n; }
    function date(r) { return r.getAttribute("data-date") || ""; }
    var sorters = {
      "number-asc": function (a, b) { return num(a) - num(b) || a._i - b._i; },
      "number-desc": function (a, b) { return num(b) - num(a) || b._i - a._i; },
      "date-desc": function (a, b) { var x = date(a), y = date(b); return x === y ? a._i - b._i : (!x ? 1 : !y ? -1 : (x < y ? 1 : -1)); },
      "date-asc": function (a, b) { var x = date(a), y = date(b); return x === y ? a._i - b._i : (!x ? 1 : !y ? -1 : (x < y ? -1 : 1)); }
    };

    /* sortable column headers */
    var heads = $$("th[data-sort]", table);
    heads.forEach(function (th) {
      var b = doc.createElement("button");
      b.type = "button"; b.textContent = th.textContent;
      th.textContent = ""; th.appendChild(b);
      b.addEventListener("click", function () {
        var key = th.getAttribute("data-sort"), cur = fSort.value;
        fSort.value = key === "number" ? (cur === "number-asc" ? "number-desc" : "number-asc")
                                       : (cur === "date-desc" ? "date-asc" : "date-desc");
        apply(true);
      });
    });

    var chips = $$(".status-counts .status-chip");
    chips.forEach(function (c) {
      c.setAttribute("role", "button");
      c.addEventListener("click", function (e) {
        e.preventDefault();
        var s = c.getAttribute("data-status");
        fStatus.value = fStatus.value === s ? "" : s;
        apply(true);
      });
      c.addEventListener("keydown", function (e) { if (e.key === " ") { e.preventDefault(); c.click(); } });
    });

    function apply(push) {
      var s = fStatus.value, t = fTag.value, q = fQ.value.trim().toLowerCase(), sort = fSort.value || "number-asc";
      var shown = 0;
      rows.forEach(function (r) {
        var ok = (!s || r.getAttribute("data-status") === s) &&
                 (!t || (" " + (r.getAttribute("data-tags") || "").replace(/,/g, " ") + " ").indexOf(" " + t + " ") >= 0) &&
                 (!q || q.split(" ").every(function (w) { return r._text.indexOf(w) >= 0; }));
        r.hidden = !ok;
        if (ok) shown++;
      });
      rows.slice().sort(sorters[sort] || sorters["number-asc"]).forEach(function (r) { tbody.insertBefore(r, empty); });
      empty.hidden = shown > 0;
      heads.forEach(function (th) {
        var key = th.getAttribute("data-sort");
        th.setAttribute("aria-sort", sort.indexOf(key) === 0 ? (/asc$/.test(sort) ? "ascending" : "descending") : "none");
      });
      chips.forEach(function (c) { c.setAttribute("aria-pressed", s && c.getAttribute("data-status") === s ? "true" : "false"); });
      out.textContent = shown === total ? "Showing all " + total + " decisions" : "Showing " + shown + " of " + total + " decisions";
      if (push && window.history && history.replaceState) {
        var p = new URLSearchParams();
        if (s) p.set("status", s);
        if (t) p.set("tag", t);
        if (q) p.set("q", q);
        if (sort !== "number-asc") p.set("sort", sort);
        var qs = p.toString();
        history.replaceState(null, "", location.pathname + (qs ? "?" + qs : "") + location.hash);
      }
    }

    var params = new URLSearchParams(location.search);
    // Tags match in any case, by slug or by name, as the README says: ?tag=Database is database.
    function pick(sel, v) {
      var lv = (v || "").toLowerCase();
      var o = v && $$("option", sel).filter(function (o) {
        return o.value === v || o.value.toLowerCase() === lv || o.textContent.trim().replace(/\s*\(\d+\)$/, "").toLowerCase() === lv;
      })[0];
      if (o) sel.value = o.value;
    }
    pick(fStatus, params.get("status")); pick(fTag, params.get("tag")); pick(fSort, params.get("sort"));
    if (params.get("q")) fQ.value = params.get("q");

    form.addEventListener("input", function () { apply(true); });
    form.addEventListener("change", function () { apply(true); });
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    form.addEventListener("reset", function () { setTimeout(function () { apply(true); }, 0); });
    form.hidden = false;
    apply(false);
  }

  /* ---- "/" focuses the search box (unless search.js already handled the key) ---- */
  function initSlash() {
    doc.addEventListener("keydown", function (e) {
      if (e.key !== "/" || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      var t = e.target, tag = t && t.tagName;
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) return;
      var input = doc.getElementById("search-input");
      if (input) { e.preventDefault(); input.focus(); input.select(); }
    });
  }

  /* ---- Opened from disk (file://): a folder URL shows a file listing, not its page, so links
     and forms that point at a folder of the site get its index.html (served sites are untouched) ---- */
  function withIndexHtml(value) {
    var url = new URL(value, location.href);
    if (url.protocol !== "file:" || !/\/$/.test(url.pathname)) return null;
    url.pathname += "index.html";
    return url.href;
  }
  function initFileLinks() {
    if (location.protocol !== "file:") return;
    $$("a[href]").forEach(function (a) {
      var href = withIndexHtml(a.getAttribute("href"));
      if (href) a.setAttribute("href", href); // SVG links (the decision graph) have a read-only .href
    });
    $$("form[action]").forEach(function (f) {
      var action = withIndexHtml(f.getAttribute("action"));
      if (action) f.setAttribute("action", action);
    });
  }

  /* ---- A #fragment in another letter case (`#Proposal`: links written for GitHub, which finds
     them) goes to its heading, whose id is lower case ---- */
  function initFragmentCase() {
    function follow() {
      var id = location.hash.slice(1);
      try { id = decodeURIComponent(id); } catch (e) { /* keep it as written */ }
      if (!id || doc.getElementById(id)) return;
      var lower = id.toLowerCase(), heading = lower !== id && doc.getElementById(lower);
      if (!heading) return;
      location.replace("#" + encodeURIComponent(lower));
      heading.scrollIntoView(); // a replace from within hashchange does not scroll in Chromium
    }
    follow();
    window.addEventListener("hashchange", follow);
  }

  /* ---- Diagrams: ```mermaid blocks drawn by the bundled Mermaid (the page loads it only when it
     has one), in the colours of the scheme shown, drawn again when it changes. A diagram Mermaid
     cannot read keeps showing its source. ---- */
  function initDiagrams() {
    var blocks = $$("pre.mermaid"), mermaid = window.mermaid, drawn = "";
    if (!blocks.length || !mermaid) return;
    blocks.forEach(function (b) { b.setAttribute("data-source", b.textContent); });
    function draw() {
      var scheme = current();
      if (scheme === drawn) return;
      drawn = scheme;
      blocks.forEach(function (b) {
        b.removeAttribute("data-processed");
        b.classList.remove("mermaid-unread");
        b.textContent = b.getAttribute("data-source");
      });
      mermaid.initialize({ startOnLoad: false, securityLevel: "strict", suppressErrorRendering: true,
                           theme: scheme === "dark" ? "dark" : "default" });
      function keepSources() {
        blocks.forEach(function (b) {
          if (b.querySelector("svg")) return;
          b.textContent = b.getAttribute("data-source"); /* Mermaid empties what it cannot draw */
          b.removeAttribute("data-processed");
          b.classList.add("mermaid-unread");
        });
      }
      mermaid.run({ nodes: blocks, suppressErrors: true }).then(keepSources, keepSources);
    }
    draw();
    new MutationObserver(draw).observe(root, { attributes: true, attributeFilter: ["data-theme"] });
    if (mq && mq.addEventListener) mq.addEventListener("change", draw);
  }

  function init() {
    initFileLinks(); initTheme(); initNav(); initCode(); initTables(); initToc(); initAdrLog(); initSlash();
    initFragmentCase(); initDiagrams();
  }
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init); else init();
})();
