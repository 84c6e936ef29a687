/* Lore search client. Plain JS, no dependencies, no request outside the site.
 * Loaded with: <script src="…/assets/search.js" defer data-base="{base_path}"></script>
 * The site root is found from this script's own URL (it lives in assets/), so the
 * same page works served over http and opened from disk (file://).
 * Index format: see src/search/write.rs (manifest, facets, s/<shard>, r/<chunk>),
 * each file a script `window.__loreSearch("key",<JSON>);`: loaded by <script>
 * tag under file:// (fetch is blocked there), fetched and parsed as JSON over http. */
(function () {
  'use strict';
  var script = document.currentScript;
  var fileMode = location.protocol === 'file:';
  var siteRoot = new URL('../', (script && script.src) || location.href).href;
  var indexAttr = script && script.getAttribute('data-index');
  var indexBase = indexAttr ? new URL(indexAttr, location.href).href : siteRoot + 'search/';
  // Record URLs carry the site's base path; results link through siteRoot instead.
  var basePath = (script && script.getAttribute('data-base')) || (fileMode ? '/' : new URL(siteRoot).pathname);
  var MAX_PANEL = 8, PAGE_SIZE = 20;

  /* ---------- loading ---------- */
  var cache = {}, waiting = {}, build = '';
  window.__loreSearch = function (key, data) {
    var w = waiting[key];
    if (w) { delete waiting[key]; w(data); }
  };
  function loadScript(key, url) {
    return new Promise(function (res, rej) {
      waiting[key] = res;
      var s = document.createElement('script');
      s.src = url; s.async = true;
      s.onerror = function () { delete waiting[key]; rej(new Error(key)); };
      s.onload = function () { s.remove(); };
      document.head.appendChild(s);
    });
  }
  // The JSON between `window.__loreSearch("key",` and the final `);`.
  function fetchJson(key, url) {
    return fetch(url).then(function (r) { if (!r.ok) throw new Error(key); return r.text(); }).then(function (t) {
      return JSON.parse(t.slice(t.indexOf(',') + 1, t.lastIndexOf(')')));
    });
  }
  function load(key) {
    if (cache[key]) return cache[key];
    var url = indexBase + key + '.js' + (build && key !== 'manifest' && !fileMode ? '?v=' + build : '');
    var p = fileMode ? loadScript(key, url) : fetchJson(key, url);
    cache[key] = p;
    p.catch(function () { delete cache[key]; });
    return p;
  }
  // A site URL from the index (with base path) as a link that works here; under file://
  // folders need their index.html spelled out.
  function siteUrl(u) {
    if (!u || u.indexOf(basePath) !== 0) return u;
    var rel = u.slice(basePath.length);
    if (fileMode && (rel === '' || /\/$/.test(rel))) rel += 'index.html';
    return siteRoot + rel;
  }

  var M = null, manifestP = null, facetsP = null, docTags = null;
  function manifest() {
    if (!manifestP) {
      manifestP = load('manifest').then(function (m) { M = m; build = m.b; return m; });
      manifestP.catch(function () { manifestP = null; });
    }
    return manifestP;
  }
  function facets() {
    if (!facetsP) {
      facetsP = manifest().then(function () { return load('facets'); }).then(function (f) {
        var b = b64(f.dtags), n = M.n, start = new Uint32Array(n + 1), list = [], i = 0, d, k, c;
        for (d = 0; d < n; d++) {
          start[d] = list.length;
          if (f.enc === 1) {
            while (i < b.length) { c = b[i++]; if (c === 255) break; list.push(c & 127); if (c & 128) break; }
          } else {
            var r = varint(b, i); i = r[1];
            for (k = 0; k < r[0]; k++) { r = varint(b, i); i = r[1]; list.push(r[0]); }
          }
        }
        start[n] = list.length;
        docTags = { start: start, list: list };
        return docTags;
      });
      facetsP.catch(function () { facetsP = null; });
    }
    return facetsP;
  }
  function b64(s) {
    var bin = atob(s), a = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) a[i] = bin.charCodeAt(i);
    return a;
  }
  function varint(b, i) {
    var v = 0, mul = 1, c;
    while (i < b.length) { c = b[i++]; v += (c & 127) * mul; if (!(c & 128)) break; mul *= 128; }
    return [v, i];
  }

  /* ---------- text analysis (mirrors the Rust analyzer) ---------- */
  var CJK = /^(?:[\u1100-\u11ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3038-\u303b\u3040-\u30ff\u3130-\u318f\u31a0-\u31bf\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff66-\uff9f]|[\ud840-\ud8bf][\udc00-\udfff])$/;
  var DROP = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g;
  var DROP1 = /^[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]$/;
  var WORDCH = /^[\p{Alphabetic}\p{N}\p{M}_]$/u;
  function fold(s) {
    var out = '', ch, c;
    for (ch of s) {
      c = ch.codePointAt(0);
      if (c < 128) { out += ch.toLowerCase(); continue; }
      if (CJK.test(ch)) { out += ch; continue; }
      if (c >= 0xff01 && c <= 0xff5e) { out += String.fromCharCode(c - 0xfee0).toLowerCase(); continue; }
      out += ch.toLowerCase().normalize('NFD').replace(DROP, '');
    }
    return out;
  }
  function isWord(ch) { return WORDCH.test(ch) && !DROP1.test(ch); }
  function isApos(ch) { return ch === "'" || ch === '\u2019'; }
  // Tokens of folded text: [{t: token, cjk: bool}]
  function tokenize(s, join) {
    var cs = Array.from(s), out = [], i = 0, j, w, n = cs.length;
    while (i < n) {
      if (CJK.test(cs[i])) {
        j = i;
        while (j < n && CJK.test(cs[j])) j++;
        if (j - i === 1) out.push({ t: cs[i], cjk: true });
        for (var k = i; k + 1 < j; k++) out.push({ t: cs[k] + cs[k + 1], cjk: true });
        i = j; continue;
      }
      if (!isWord(cs[i])) { i++; continue; }
      w = '';
      j = i;
      while (j < n) {
        if (isWord(cs[j]) && !CJK.test(cs[j])) { w += cs[j]; j++; }
        else if (join && isApos(cs[j]) && j + 1 < n && isWord(cs[j + 1]) && !CJK.test(cs[j + 1])) j++;
        else break;
      }
      i = j;
      w = w.replace(/^_+|_+$/g, '');
      if (w && new TextEncoder().encode(w).length <= 64) out.push({ t: w, cjk: false });
    }
    return out;
  }

  /* ---------- shards ---------- */
  var shards = {};
  function shardIndex(w) {
    var a = M.shards, lo = 0, hi = a.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (a[mid] <= w) lo = mid + 1; else hi = mid; }
    return Math.max(0, lo - 1);
  }
  function loadShard(i) {
    if (shards[i]) return Promise.resolve(shards[i]);
    return load('s/' + i).then(function (f) {
      var map = new Map(), off = 0;
      for (var k = 0; k < f.t.length; k++) { map.set(f.t[k], [off, f.o[k]]); off += f.o[k]; }
      shards[i] = { t: f.t, map: map, p: f.p, blob: null, a: f.a };
      return shards[i];
    });
  }
  function postings(term) {
    var sh = shards[shardIndex(term)], e = sh && sh.map.get(term);
    if (!e) return [];
    if (!sh.blob) sh.blob = b64(sh.p);
    var b = sh.blob, i = e[0], end = e[0] + e[1], doc = 0, out = [], lq = Math.log(1 + M.qmax), r, q, sec;
    while (i < end) {
      r = varint(b, i); i = r[1];
      doc += Math.floor(r[0] / 2);
      q = b[i++];
      sec = r[0] % 2 ? b[i++] : 0;
      out.push(doc, Math.exp((q - 1) / 254 * lq) - 1, sec);
    }
    return out;
  }
  // Damerau-Levenshtein (OSA) distance <= 1, on arrays of chars.
  function oneEdit(a, b) {
    var la = a.length, lb = b.length, i = 0;
    if (Math.abs(la - lb) > 1) return false;
    while (i < la && i < lb && a[i] === b[i]) i++;
    if (i === la && i === lb) return true;
    var rest = function (x, xi, y, yi) { return x.slice(xi).join('') === y.slice(yi).join(''); };
    if (la === lb) return rest(a, i + 1, b, i + 1) || (i + 1 < la && a[i] === b[i + 1] && a[i + 1] === b[i] && rest(a, i + 2, b, i + 2));
    return la > lb ? rest(a, i + 1, b, i) : rest(a, i, b, i + 1);
  }

  /* ---------- query ---------- */
  // Prefix matching: the word being typed (2+ chars) weighs 0.7; any other
  // word of 4+ chars with no exact match completes ("postgres" -> "postgresql") at 0.5.
  // A lone CJK character (a first keystroke, or a one-character word) stands for the
  // bigrams it starts: CJK text is indexed in bigrams, so alone it matched nothing.
  function prefixFactor(w, typingLast) {
    var n = Array.from(w).length;
    if (n === 1 && CJK.test(w)) return 0.7;
    return typingLast && n >= 2 ? 0.7 : n >= 4 ? 0.5 : 0;
  }
  // Returns {words, terms (for highlighting), hits: [{d, s, m, x, secs}]} sorted.
  function query(q, typing) {
    return manifest().then(function () {
      var words = tokenize(fold(q), M.join).map(function (t) { return t.t; });
      var seen = {};
      words = words.filter(function (w) { return seen[w] ? false : (seen[w] = 1); });
      if (!words.length) return { words: [], terms: [], hits: [] };
      var last = words.length - 1, need = {};
      words.forEach(function (w, wi) {
        var i = shardIndex(w);
        need[i] = 1;
        if (prefixFactor(w, wi === last && typing) > 0.5) {
          var j = shardIndex(w + '\uffff');
          for (var k = i + 1; k <= Math.min(j, i + 2); k++) need[k] = 1;
        }
      });
      return Promise.all(Object.keys(need).map(function (i) { return loadShard(+i); })).then(function () {
        var more = {}, retry = [];
        var cands = words.map(function (w, wi) {
          var pf = prefixFactor(w, wi === last && typing), c = candidates(w, pf > 0.5 ? pf : 0, more);
          if (!c.some(function (x) { return x[1] === 1; }) && prefixFactor(w, false)) {
            retry.push(wi);
            var i = shardIndex(w);
            if (shardIndex(w + '\uffff') > i) more[i + 1] = 1;
          }
          return c;
        });
        return Promise.all(Object.keys(more).map(function (i) { return loadShard(+i); })).then(function () {
          var more2 = {};
          retry.forEach(function (wi) { cands[wi] = cands[wi].concat(candidates(words[wi], 0.5, more2)); });
          return Promise.all(Object.keys(more2).map(function (i) { return loadShard(+i); }));
        }).then(function () { return score(words, cands); });
      });
    });
  }
  // Index terms a query word may stand for: [term, weight, notTypo].
  function candidates(w, prefix, more) {
    // No typo is guessed in a word with a digit: rfc0045 is not rfc0015.
    var wc = Array.from(w), typo = wc.length >= 5 && !/[0-9]/.test(w), c = [];
    Object.keys(shards).sort(function (a, b) { return a - b; }).forEach(function (k) {
      var sh = shards[k];
      sh.t.forEach(function (t) {
        if (t === w) c.push([t, 1, true]);
        else if (prefix && t.startsWith(w)) c.push([t, prefix, true]);
        else if (typo && Math.abs(t.length - w.length) <= 2) { var tc = Array.from(t); if (tc.length >= 4 && oneEdit(wc, tc)) c.push([t, 0.4, false]); }
      });
      sh.a.forEach(function (p) {
        var a = p[0], f = 0, ex = true;
        if (a === w) f = 1;
        else if (prefix && a.startsWith(w)) f = prefix;
        else if (typo && Math.abs(a.length - w.length) <= 2 && oneEdit(wc, Array.from(a))) { f = 0.4; ex = false; }
        if (f) { c.push([p[1], f, ex]); more[shardIndex(p[1])] = 1; }
      });
    });
    return c;
  }
  function score(words, cands) {
    var docs = new Map(), terms = {};
    words.forEach(function (w) { terms[w] = 1; });
    cands.forEach(function (c) {
      var best = new Map();
      c.forEach(function (cand) {
        var p = postings(cand[0]);
        if (p.length) terms[cand[0]] = 1;
        for (var i = 0; i < p.length; i += 3) {
          var v = p[i + 1] * cand[1], e = best.get(p[i]);
          if (!e) { e = [0, false, 0]; best.set(p[i], e); }
          if (v > e[0]) { e[0] = v; e[2] = p[i + 2]; }
          if (cand[2]) e[1] = true;
        }
      });
      best.forEach(function (e, d) {
        var h = docs.get(d);
        if (!h) { h = { d: d, s: 0, m: 0, x: 0, secs: {} }; docs.set(d, h); }
        h.s += e[0]; h.m++; if (e[1]) h.x++;
        if (e[2]) h.secs[e[2]] = (h.secs[e[2]] || 0) + e[0];
      });
    });
    var hits = Array.from(docs.values());
    hits.sort(function (a, b) { return b.m - a.m || b.x - a.x || b.s - a.s || a.d - b.d; });
    return { words: words, terms: Object.keys(terms), hits: hits };
  }

  /* ---------- facets ---------- */
  function docFacets(d) {
    var r = M.runs, lo = 0, hi = r.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (r[mid][0] <= d) lo = mid + 1; else hi = mid; }
    var run = r[Math.max(0, lo - 1)] || [0, 0, -1, 0], tags = [];
    // Tags are known only once facets() has loaded (the search page); the panel has no tag chips.
    for (var i = docTags ? docTags.start[d] : 0; docTags && i < docTags.start[d + 1]; i++) tags.push(M.tags[docTags.list[i]]);
    return { kind: M.kinds[run[1]], status: run[2] >= 0 ? M.statuses[run[2]] : null, year: run[3] ? String(run[3]) : null, tag: tags };
  }
  var GROUPS = ['kind', 'status', 'tag', 'year'];
  // Filters: {kind, status, tag, year} (string or null). Returns {hits, counts}.
  function applyFacets(hits, filters) {
    var counts = { kind: {}, status: {}, tag: {}, year: {} }, out = [];
    // Tags match in any case (?tag=database is the tag Database).
    if (filters.tag && M.tags) {
      var lt = filters.tag.toLowerCase();
      M.tags.some(function (t) { if (t.toLowerCase() === lt) { filters.tag = t; return true; } return false; });
    }
    hits.forEach(function (h) {
      var f = h.f || (h.f = docFacets(h.d)), ok = {};
      GROUPS.forEach(function (g) {
        var want = filters[g];
        ok[g] = !want || (g === 'tag' ? f.tag.indexOf(want) >= 0 : f[g] === want);
      });
      GROUPS.forEach(function (g) {
        var others = GROUPS.every(function (o) { return o === g || ok[o]; });
        if (!others) return;
        var vals = g === 'tag' ? f.tag : (f[g] ? [f[g]] : []);
        vals.forEach(function (v) { counts[g][v] = (counts[g][v] || 0) + 1; });
      });
      if (ok.kind && ok.status && ok.tag && ok.year) out.push(h);
    });
    return { hits: out, counts: counts };
  }

  /* ---------- records, snippets, highlighting ---------- */
  function records(hits) {
    var c = M.chunk, keys = {};
    hits.forEach(function (h) { keys[Math.floor(h.d / c)] = 1; });
    return Promise.all(Object.keys(keys).map(function (k) {
      return load('r/' + k).then(function (recs) {
        hits.forEach(function (h) { if (Math.floor(h.d / c) === +k) h.r = recs[h.d % c]; });
      });
    }));
  }
  function matcher(terms) {
    var list = terms.filter(function (t) { return t; });
    return function (word) {
      var w = fold(word).replace(/['\u2019]/g, '');
      if (!w) return false;
      for (var i = 0; i < list.length; i++) {
        var t = list[i];
        if (w === t) return true;
        if (t.length >= 3 && w.startsWith(t)) return true;
        if (t.length >= 4 && /i$/.test(t) && w.startsWith(t.slice(0, -1)) && w.length <= t.length + 2) return true;
        if (w.indexOf('_') > 0 && w.split('_').indexOf(t) >= 0) return true;
      }
      return false;
    };
  }
  var WORD_RE = /[\p{Alphabetic}\p{N}\p{M}_'\u2019]+/gu;
  // Appends text to el, wrapping matching words (and CJK terms) in <mark>.
  function highlight(el, text, match, cjk) {
    var ranges = [], m;
    WORD_RE.lastIndex = 0;
    while ((m = WORD_RE.exec(text))) {
      if (match(m[0])) ranges.push([m.index, m.index + m[0].length]);
    }
    cjk.forEach(function (t) {
      var i = text.indexOf(t);
      while (i >= 0) { ranges.push([i, i + t.length]); i = text.indexOf(t, i + t.length); }
    });
    ranges.sort(function (a, b) { return a[0] - b[0]; });
    var pos = 0, any = false;
    ranges.forEach(function (r) {
      if (r[0] < pos) return;
      if (r[0] > pos) el.appendChild(document.createTextNode(text.slice(pos, r[0])));
      var mk = document.createElement('mark');
      mk.textContent = text.slice(r[0], r[1]);
      el.appendChild(mk);
      pos = r[1]; any = true;
    });
    if (pos < text.length) el.appendChild(document.createTextNode(text.slice(pos)));
    return any;
  }
  function cjkTerms(terms) { return terms.filter(function (t) { return CJK.test(Array.from(t)[0] || ''); }); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function safeUrl(u) { return /^(https?:|file:|\/|\.|[^:]*$)/i.test(u || '') ? u : '#'; }
  function hrefFor(r, anchor, res) {
    var hl = res.terms.slice(0, 10).join(' ');
    return safeUrl(siteUrl(r.u)) + (hl ? '?highlight=' + encodeURIComponent(hl).replace(/%20/g, '+') : '') + (anchor ? '#' + encodeURIComponent(anchor) : '');
  }
  function subResults(h, match) {
    var r = h.r, out = [], seen = {};
    var secs = Object.keys(h.secs).map(Number).sort(function (a, b) { return h.secs[b] - h.secs[a] || a - b; });
    (r.h || []).forEach(function (s, i) { if (i && s[0] && !h.secs[i] && tokenizeMatch(s[1], match)) secs.push(i); });
    secs.forEach(function (i) {
      var s = r.h && r.h[i];
      if (s && s[0] && !seen[s[0]] && out.length < 3) { seen[s[0]] = 1; out.push(s); }
    });
    return out;
  }
  function tokenizeMatch(text, match) {
    var m; WORD_RE.lastIndex = 0;
    while ((m = WORD_RE.exec(text || ''))) if (match(m[0])) return true;
    return false;
  }
  // One result as an element; `a` is the main link (for keyboard navigation).
  function renderHit(h, res, tag) {
    var r = h.r || { u: '#', t: '?', k: '', h: [] }, match = matcher(res.terms), cj = cjkTerms(res.terms);
    var li = el(tag || 'li', 'search-result'), a = el('a', 'search-result-link');
    a.href = hrefFor(r, null, res);
    var head = el('span', 'search-result-head');
    var title = el('span', 'search-result-title');
    highlight(title, r.t || r.u, match, cj);
    head.appendChild(title);
    if (r.k) head.appendChild(el('span', 'search-badge search-kind-' + r.k, r.l || r.k));
    if (r.s) head.appendChild(el('span', 'search-badge search-status search-status-' + r.s.replace(/[^a-z0-9-]/gi, ''), r.s));
    if (r.d) head.appendChild(el('time', 'search-result-date', r.d));
    a.appendChild(head);
    var snip = el('span', 'search-result-snippet');
    var subs = subResults(h, match);
    highlight(snip, r.e || '', match, cj);
    a.appendChild(snip);
    li.appendChild(a);
    if (subs.length) {
      var ul = el('ul', 'search-subresults');
      subs.forEach(function (s) {
        var sli = el('li'), sa = el('a', 'search-subresult-link');
        sa.href = hrefFor(r, s[0], res);
        highlight(sa, s[1], match, cj);
        sli.appendChild(sa); ul.appendChild(sli);
      });
      li.appendChild(ul);
    }
    return li;
  }
  function facetChips(container, counts, filters, onToggle, groups, limit) {
    groups.forEach(function (g) {
      var c = counts[g], vals = Object.keys(c);
      if (filters[g] && vals.indexOf(filters[g]) < 0) vals.push(filters[g]);
      if (!vals.length) return;
      vals.sort(g === 'year' ? function (a, b) { return b.localeCompare(a); } : function (a, b) { return (c[b] || 0) - (c[a] || 0) || a.localeCompare(b); });
      var box = el('div', 'search-facet search-facet-' + g);
      box.setAttribute('role', 'group');
      box.setAttribute('aria-label', g);
      box.appendChild(el('span', 'search-facet-label', g));
      vals.slice(0, limit || 12).forEach(function (v) {
        var b = el('button', 'search-chip');
        b.type = 'button';
        b.setAttribute('aria-pressed', filters[g] === v ? 'true' : 'false');
        b.setAttribute('data-facet', g); b.setAttribute('data-value', v);
        b.appendChild(el('span', 'search-chip-value', v));
        b.appendChild(el('span', 'search-chip-count', String(c[v] || 0)));
        b.addEventListener('mousedown', function (e) { e.preventDefault(); });
        b.addEventListener('click', function () { onToggle(g, filters[g] === v ? null : v); });
        box.appendChild(b);
      });
      container.appendChild(box);
    });
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }

  /* ---------- header box ---------- */
  var input = document.getElementById('search-input');
  var panel = document.getElementById('search-panel');
  var pageRoot = document.getElementById('search-page');
  var seq = 0, active = -1, panelFilters = { kind: null, status: null, tag: null, year: null };
  function options() { return panel ? panel.querySelectorAll('.search-result-link') : []; }
  function setActive(i) {
    var o = options();
    if (!o.length) return;
    active = (i + o.length) % o.length;
    for (var k = 0; k < o.length; k++) {
      o[k].setAttribute('aria-selected', k === active ? 'true' : 'false');
      o[k].parentNode.classList.toggle('is-active', k === active);
    }
    input.setAttribute('aria-activedescendant', o[active].id);
    o[active].scrollIntoView({ block: 'nearest' });
  }
  function hidePanel() { if (panel) { panel.hidden = true; input.setAttribute('aria-expanded', 'false'); } active = -1; }
  function runPanel() {
    var q = input.value, my = ++seq;
    if (!q.trim()) { hidePanel(); return; }
    query(q, !/\s$/.test(q)).then(function (res) {
      if (my !== seq) return;
      var f = applyFacets(res.hits, panelFilters), top = f.hits.slice(0, MAX_PANEL);
      return records(top).then(function () {
        if (my !== seq) return;
        clear(panel); active = -1;
        var chips = el('div', 'search-facets');
        facetChips(chips, f.counts, panelFilters, function (g, v) { panelFilters[g] = v; input.focus(); runPanel(); }, ['kind', 'status'], 6);
        panel.appendChild(chips);
        if (!top.length) panel.appendChild(el('p', 'search-empty', 'No results for \u201c' + q.trim() + '\u201d'));
        var list = el('ul', 'search-results');
        list.id = 'search-listbox';
        list.setAttribute('role', 'listbox');
        top.forEach(function (h, i) {
          var li = renderHit(h, res);
          li.setAttribute('role', 'presentation');
          var a = li.querySelector('.search-result-link');
          a.id = 'search-opt-' + i; a.setAttribute('role', 'option');
          list.appendChild(li);
        });
        panel.appendChild(list);
        var all = el('a', 'search-all', f.hits.length > top.length ? 'All ' + f.hits.length + ' results \u2192' : 'Open search page \u2192');
        all.href = searchPageUrl(q, panelFilters);
        panel.appendChild(all);
        panel.hidden = false;
        input.setAttribute('aria-expanded', 'true');
      });
    }).catch(function () {
      if (my !== seq) return;
      clear(panel); panel.appendChild(el('p', 'search-error', 'The search index could not be loaded.')); panel.hidden = false;
    });
  }
  function searchPageUrl(q, filters) {
    var form = input && input.form, action = (form && form.getAttribute('action')) || indexBase;
    var p = new URLSearchParams();
    p.set('q', q.trim());
    GROUPS.forEach(function (g) { if (filters[g]) p.set(g, filters[g]); });
    return action + (fileMode && /\/$/.test(action) ? 'index.html' : '') + '?' + p.toString();
  }
  var timer = 0;
  if (input && panel) {
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-controls', 'search-listbox');
    input.setAttribute('aria-expanded', 'false');
    input.addEventListener('focus', function () { manifest(); if (input.value.trim() && panel.hidden && !pageRoot) runPanel(); });
    input.addEventListener('input', function () {
      clearTimeout(timer); timer = setTimeout(runPanel, 60);
    });
    input.addEventListener('keydown', function (e) {
      if (e.key === 'ArrowDown') { e.preventDefault(); if (panel.hidden) runPanel(); else setActive(active + 1); }
      else if (e.key === 'ArrowUp') { e.preventDefault(); setActive(active - 1); }
      else if (e.key === 'Enter') {
        var o = options();
        if (active >= 0 && o[active]) { e.preventDefault(); location.href = o[active].href; }
        else if (input.form && !panel.hidden) { e.preventDefault(); location.href = searchPageUrl(input.value, panelFilters); }
      } else if (e.key === 'Escape') {
        if (!panel.hidden) { e.preventDefault(); hidePanel(); } else { input.value = ''; input.blur(); }
      }
    });
    document.addEventListener('click', function (e) { if (input.form && !input.form.contains(e.target)) hidePanel(); });
  }
  document.addEventListener('keydown', function (e) {
    if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target, tn = t && t.tagName;
    if (tn === 'INPUT' || tn === 'TEXTAREA' || tn === 'SELECT' || (t && t.isContentEditable)) return;
    var box = (pageRoot && document.getElementById('search-page-input')) || input;
    if (box) { e.preventDefault(); box.focus(); box.select(); }
  });

  /* ---------- full search page ---------- */
  var pageInput = pageRoot && document.getElementById('search-page-input');
  if (pageRoot && pageInput) {
    var params = new URLSearchParams(location.search), filters = {}, shown = PAGE_SIZE, pseq = 0;
    GROUPS.forEach(function (g) { filters[g] = params.get(g) || null; });
    pageInput.value = params.get('q') || '';
    var facetsBox = document.getElementById('search-facets'), status = document.getElementById('search-status');
    var list = document.getElementById('search-results'), moreBtn = document.getElementById('search-more');
    var updateUrl = function () {
      var p = new URLSearchParams();
      if (pageInput.value.trim()) p.set('q', pageInput.value.trim());
      GROUPS.forEach(function (g) { if (filters[g]) p.set(g, filters[g]); });
      var s = p.toString();
      try { history.replaceState(null, '', location.pathname + (s ? '?' + s : '') + location.hash); } catch (e) { /* file:// may refuse */ }
    };
    var runPage = function () {
      var q = pageInput.value, my = ++pseq;
      updateUrl();
      if (!q.trim()) { clear(list); clear(facetsBox); status.textContent = 'Type to search.'; moreBtn.hidden = true; return; }
      status.textContent = 'Searching\u2026';
      Promise.all([query(q, false), facets()]).then(function (all) {
        var res = all[0], f = applyFacets(res.hits, filters), top = f.hits.slice(0, shown);
        return records(top).then(function () {
          if (my !== pseq) return;
          clear(facetsBox); clear(list);
          facetChips(facetsBox, f.counts, filters, function (g, v) { filters[g] = v; shown = PAGE_SIZE; runPage(); }, GROUPS, 15);
          status.textContent = f.hits.length ? f.hits.length + (f.hits.length === 1 ? ' result' : ' results') + ' for \u201c' + q.trim() + '\u201d' : 'No results for \u201c' + q.trim() + '\u201d';
          top.forEach(function (h) { list.appendChild(renderHit(h, res)); });
          moreBtn.hidden = f.hits.length <= top.length;
        });
      }).catch(function () { if (my === pseq) status.textContent = 'The search index could not be loaded.'; });
    };
    var ptimer = 0;
    pageInput.addEventListener('input', function () { shown = PAGE_SIZE; clearTimeout(ptimer); ptimer = setTimeout(runPage, 80); });
    pageInput.form && pageInput.form.addEventListener('submit', function (e) { e.preventDefault(); runPage(); });
    moreBtn.addEventListener('click', function () { shown += PAGE_SIZE; runPage(); });
    if (input && params.get('q')) input.value = '';
    runPage();
  }

  /* ---------- ?highlight= on the target page ---------- */
  var hl = new URLSearchParams(location.search).get('highlight');
  if (hl && !pageRoot) {
    var terms = hl.split(/\s+/).map(fold).filter(function (t) { return t; }).slice(0, 16);
    var root = document.querySelector('main article, article, main, [role="main"]');
    if (root && terms.length) {
      var match = matcher(terms), cj = cjkTerms(terms), nodes = [], walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
        acceptNode: function (n) {
          var p = n.parentNode;
          if (!n.nodeValue.trim() || p.closest('script,style,noscript,textarea,mark,nav,#search-panel,.search-box')) return NodeFilter.FILTER_REJECT;
          return NodeFilter.FILTER_ACCEPT;
        }
      });
      while (walker.nextNode() && nodes.length < 5000) nodes.push(walker.currentNode);
      var first = null;
      nodes.forEach(function (n) {
        var frag = document.createDocumentFragment();
        if (highlight(frag, n.nodeValue, match, cj)) {
          frag.querySelectorAll('mark').forEach(function (m) { m.className = 'search-hl'; });
          first = first || frag.querySelector('mark');
          n.parentNode.replaceChild(frag, n);
        }
      });
      if (first && !location.hash) first.scrollIntoView({ block: 'center' });
    }
  }

  // `lore serve` tells open pages when an edit changed the index: drop what was loaded and
  // show the results on screen again from the new one.
  function refresh() {
    cache = {}; shards = {}; M = null; manifestP = null; facetsP = null; docTags = null; build = '';
    if (typeof runPage === 'function') runPage();
    else if (panel && !panel.hidden) runPanel();
  }

  // Exposed for tests, themes and `lore serve`.
  window.LoreSearch = { query: query, fold: fold, tokenize: tokenize, manifest: manifest, refresh: refresh };
})();
