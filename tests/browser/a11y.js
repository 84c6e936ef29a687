/* Accessibility checks run inside a page by theme_check.py; each function returns plain JSON.
   Contrast follows WCAG 2.x: relative luminance of sRGB colours, ratio (L1 + 0.05) / (L2 + 0.05),
   AA needs 4.5:1 for normal text and 3:1 for large text (24px, or 18.66px when bold). */
window.__loreA11y = (function () {
  "use strict";

  /* "rgb(1, 2, 3)", "rgba(1, 2, 3, 0.5)", "rgb(1 2 3 / 50%)" or "color(srgb 0.1 0.2 0.3 / 0.5)" -> [r, g, b, a] in 0..255 */
  function parseColor(text) {
    var m = /^(rgba?|color)\((.*)\)$/.exec(text.trim());
    if (!m) return null;
    var body = m[2], srgb = m[1] === "color";
    if (srgb) { if (body.indexOf("srgb ") !== 0) return null; body = body.slice(5); }
    var parts = body.split(/[\s,\/]+/).filter(Boolean).map(function (p) {
      return p.slice(-1) === "%" ? parseFloat(p) / 100 : parseFloat(p);
    });
    var scale = srgb ? 255 : 1;
    return [parts[0] * scale, parts[1] * scale, parts[2] * scale, parts.length > 3 ? parts[3] : 1];
  }

  /* `top` (with alpha) painted over the opaque `under` */
  function over(top, under) {
    var a = top[3];
    return [0, 1, 2].map(function (i) { return top[i] * a + under[i] * (1 - a); }).concat([1]);
  }

  function luminance(c) {
    var lin = c.slice(0, 3).map(function (v) {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  }

  function ratio(a, b) {
    var x = luminance(a), y = luminance(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }

  /* The colour behind `el`: its own and its ancestors' backgrounds, composited down to the first
     opaque one (the canvas is the root's background, else white). null when an ancestor paints an
     image or gradient: no single colour to measure against. */
  function backgroundOf(el) {
    var layers = [];
    for (var n = el; n && n.nodeType === 1; n = n.parentElement) {
      var cs = getComputedStyle(n);
      if (cs.backgroundImage !== "none") return null;
      var bg = parseColor(cs.backgroundColor);
      if (bg && bg[3] > 0) { layers.push(bg); if (bg[3] >= 1) break; }
    }
    var base = [255, 255, 255, 1];
    if (!layers.length || layers[layers.length - 1][3] < 1) layers.push(base);
    var colour = layers.pop();
    while (layers.length) colour = over(layers.pop(), colour);
    return colour;
  }

  /* Product of the opacities of `el` and its ancestors. */
  function opacityOf(el) {
    var o = 1;
    for (var n = el; n && n.nodeType === 1; n = n.parentElement) o *= parseFloat(getComputedStyle(n).opacity);
    return o;
  }

  function ownText(el) {
    var t = "";
    for (var c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 3) t += c.nodeValue;
    return t.replace(/\s+/g, " ").trim();
  }

  /* Hidden from sight: not rendered, visibility hidden, clipped to a pixel (.visually-hidden),
     or parked above the page like a skip link before it has focus. */
  function unseen(el, cs) {
    var r = el.getBoundingClientRect();
    if (!el.getClientRects().length || cs.visibility !== "visible") return true;
    if (r.width <= 1 || r.height <= 1) return true;
    return r.bottom + window.scrollY <= 0 || r.right + window.scrollX <= 0;
  }

  function describe(el) {
    var s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    if (el.className && typeof el.className === "string") s += "." + el.className.trim().split(/\s+/).join(".");
    var p = el.parentElement;
    return (p ? p.tagName.toLowerCase() + (p.className && typeof p.className === "string" ? "." + p.className.trim().split(/\s+/)[0] : "") + " > " : "") + s;
  }

  /* Every element that shows text of its own, measured against AA. Text with opacity 0 is text
     shown on hover or focus (heading anchors, copy buttons): it is measured as it is then shown. */
  function contrast() {
    var failures = [], checked = 0, unmeasured = 0;
    Array.prototype.forEach.call(document.body.querySelectorAll("*"), function (el) {
      var text = ownText(el);
      if (!text || /^(SCRIPT|STYLE|NOSCRIPT|TEMPLATE|OPTION)$/.test(el.tagName) || el.disabled) return;
      var cs = getComputedStyle(el);
      if (unseen(el, cs)) return;
      var bg = backgroundOf(el), fg = parseColor(cs.color);
      if (!bg || !fg) { unmeasured++; return; }
      var opacity = opacityOf(el);
      fg = fg.slice(0, 3).concat([fg[3] * (opacity > 0 ? opacity : 1)]);
      var size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight, 10) >= 700;
      var large = size >= 24 || (bold && size >= 18.66);
      var need = large ? 3 : 4.5, got = ratio(over(fg, bg), bg);
      checked++;
      if (got + 1e-9 < need) {
        failures.push({ element: describe(el), text: text.slice(0, 40), color: cs.color,
                        background: "rgb(" + bg.slice(0, 3).map(Math.round).join(", ") + ")",
                        ratio: Math.round(got * 100) / 100, need: need });
      }
    });
    return { checked: checked, unmeasured: unmeasured, failures: failures };
  }

  /* Landmarks and text alternatives the theme promises on every page. */
  function landmarks() {
    var problems = [];
    function one(sel, what) {
      var n = document.querySelectorAll(sel).length;
      if (n !== 1) problems.push(what + ": " + n + " found");
    }
    if (!/^[a-z]{2,3}(-[A-Za-z0-9]+)*$/.test(document.documentElement.lang || "")) problems.push("html lang missing");
    one("body > header, [role=banner]", "banner (header outside sections)");
    one("main, [role=main]", "main");
    one("body > footer, [role=contentinfo]", "contentinfo (footer outside sections)");
    if (!document.querySelector("header nav[aria-label], header [role=navigation][aria-label]")) problems.push("labelled main nav in header");
    if (!document.querySelector("[role=search]")) problems.push("search landmark");
    Array.prototype.forEach.call(document.querySelectorAll("img"), function (img) {
      if (!img.hasAttribute("alt")) problems.push("img without alt: " + img.getAttribute("src"));
    });
    var ids = {};
    Array.prototype.forEach.call(document.querySelectorAll("[id]"), function (el) {
      if (ids[el.id]) problems.push("duplicate id: " + el.id);
      ids[el.id] = true;
    });
    var searchNames = Array.prototype.map.call(document.querySelectorAll("[role=search]"), function (el) {
      return el.getAttribute("aria-label") || el.getAttribute("aria-labelledby") || "";
    });
    if (searchNames.length > 1 && (searchNames.indexOf("") >= 0 || new Set(searchNames).size < searchNames.length))
      problems.push("several search landmarks without distinct names: " + JSON.stringify(searchNames));
    Array.prototype.forEach.call(document.querySelectorAll("div[aria-label]:not([role]), span[aria-label]:not([role])"), function (el) {
      problems.push("aria-label on an element without a role: " + describe(el));
    });
    Array.prototype.forEach.call(document.querySelectorAll("svg[role=img]"), function (svg) {
      if (svg.querySelector("a[href], [tabindex]")) problems.push("svg role=img holds links: " + describe(svg));
    });
    Array.prototype.forEach.call(document.querySelectorAll("nav, aside, [role=region], section[aria-label]"), function (el) {
      if (document.querySelectorAll(el.tagName).length > 1 && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
        problems.push("several " + el.tagName.toLowerCase() + " landmarks, one unlabelled: " + describe(el));
    });
    return problems;
  }

  return { contrast: contrast, landmarks: landmarks, ratio: function (a, b) { return ratio(parseColor(a), parseColor(b)); } };
})();
