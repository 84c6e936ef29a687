#!/usr/bin/env python3
"""Browser check of Lore search (headless Chromium over the DevTools protocol).

Usage: search_check.py SITE_DIR [--chromium PATH] [--no-file]
SITE_DIR is a site built by `lore build` (the Rust test builds tests/fixtures/search).
Python 3 standard library only (the CDP client is in cdp.py beside this file). Serves
SITE_DIR on 127.0.0.1 only and runs the checks over http, then opens the same
files from disk (file://, no server, no --allow-file-access-from-files) unless
--no-file is given. Stops only what it started.
Exit code 0 when all checks pass; prints 'N passed, M failed'.
"""
import os, sys, time, urllib.request

from cdp import Chromium, Report, default_chromium, serve

DEMO = os.path.abspath(next((a for a in sys.argv[1:] if not a.startswith('--')), os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = default_chromium(sys.argv)


REPORT = Report()
check = REPORT.check


FIRST_TITLE = "(document.querySelector('#search-panel:not([hidden]) .search-result-title')||{}).textContent"
PAGE_TITLES = "Array.from(document.querySelectorAll('#search-results .search-result-title')).map(e => e.textContent)"
PAGE_KINDS = "Array.from(document.querySelectorAll('#search-results .search-result')).map(li => li.querySelector('.search-badge').className)"


def run_checks(cdp, base, file_mode=False):
    tag = 'file://' if file_mode else 'http'
    index = base + ('index.html' if file_mode else '')
    # 1. typing in the header box shows the right first result
    cdp.goto(index)
    cdp.call('Runtime.evaluate', expression="document.getElementById('search-input').focus()")
    cdp.type('postgres eve')
    ok = cdp.wait(f"{FIRST_TITLE} === 'Use PostgreSQL for the event store'")
    check(f'[{tag}] typing "postgres eve" -> first result is ADR 2', ok, cdp.eval(FIRST_TITLE))
    if file_mode:
        # Opened from disk: styles load through relative URLs, folder links name index.html,
        # and a result opens its page file.
        styled = cdp.eval("getComputedStyle(document.querySelector('.visually-hidden')).position === 'absolute'")
        check('[file://] stylesheets load from relative URLs', bool(styled), cdp.eval("Array.from(document.styleSheets).map(s => s.href)"))
        nav = cdp.eval("Array.from(document.querySelectorAll('#lore-site-nav a')).map(a => a.href)") or []
        check('[file://] nav links point at index.html files', bool(nav) and all(h.startswith('file://') and h.endswith('/index.html') for h in nav), nav)
        cdp.key('ArrowDown', vk=40)
        cdp.key('Enter', vk=13)
        ok = cdp.wait("location.href.startsWith('file://') && location.pathname.endsWith('/adr/0002-use-postgresql-for-the-event-store/index.html') && document.querySelectorAll('mark.search-hl').length > 0")
        check('[file://] Enter opens the result file with words highlighted', ok, cdp.eval('location.href'))
    if not file_mode:
        marks = cdp.eval("Array.from(document.querySelectorAll('#search-panel mark')).map(m => m.textContent)")
        check('[http] matched words highlighted in <mark>', bool(marks) and any(m.lower().startswith('postgres') for m in marks), marks)
        subs = cdp.eval("Array.from(document.querySelectorAll('#search-panel .search-subresult-link')).map(a => a.getAttribute('href'))")
        check('[http] sub-results link to url#anchor', any('#' in (h or '') for h in subs or []), subs)
        # keyboard: ArrowDown + Enter opens the first result with ?highlight=
        cdp.key('ArrowDown', vk=40)
        sel = cdp.eval("document.activeElement.getAttribute('aria-activedescendant')")
        check('[http] ArrowDown selects the first option', sel == 'search-opt-0', sel)
        cdp.key('Enter', vk=13)
        ok = cdp.wait("location.pathname === '/adr/0002-use-postgresql-for-the-event-store/' && document.querySelectorAll('mark.search-hl').length > 0")
        check('[http] Enter opens the result; ?highlight= marks words on the page', ok, cdp.eval('location.href'))
        # "/" focuses the box, Escape closes the panel
        cdp.goto(index)
        cdp.call('Input.dispatchKeyEvent', type='keyDown', key='/', text='/')
        cdp.call('Input.dispatchKeyEvent', type='keyUp', key='/')
        check('[http] "/" focuses the search box', cdp.wait("document.activeElement && document.activeElement.id === 'search-input'"), '')
        cdp.type('kafka')
        cdp.wait("!document.getElementById('search-panel').hidden")
        cdp.key('Escape', vk=27)
        check('[http] Escape hides the panel', cdp.wait("document.getElementById('search-panel').hidden"), '')
        # ADR number
        cdp.goto(index)
        cdp.call('Runtime.evaluate', expression="document.getElementById('search-input').focus()")
        cdp.type('adr 5 ')
        ok = cdp.wait(f"{FIRST_TITLE} === 'Replace Kafka with NATS JetStream'")
        check('[http] "adr 5" finds ADR 5 first', ok, cdp.eval(FIRST_TITLE))
    # 2. misspelled word still finds its page
    cdp.goto(index)
    cdp.call('Runtime.evaluate', expression="document.getElementById('search-input').focus()")
    cdp.type('kuberentes ')
    ok = cdp.wait(f"['Run workloads on Kubernetes', 'Lessons from a year of Kubernetes'].includes({FIRST_TITLE})")
    check(f'[{tag}] misspelled "kuberentes" finds Kubernetes pages', ok, cdp.eval(FIRST_TITLE))
    # 3. full page with facets from the URL
    page = base + 'search/' + ('index.html' if file_mode else '')
    cdp.goto(page + '?q=decision&kind=adr')
    ok = cdp.wait(f"{PAGE_TITLES}.length > 0")
    kinds = cdp.eval(PAGE_KINDS) or []
    check(f'[{tag}] /search/?q=decision&kind=adr lists only ADRs', ok and all('search-kind-adr' in k for k in kinds), kinds)
    pressed = cdp.eval("Array.from(document.querySelectorAll('.search-chip[aria-pressed=true]')).map(b => b.dataset.facet + '=' + b.dataset.value)")
    check(f'[{tag}] kind=adr chip is pressed', pressed == ['kind=adr'], pressed)
    tags = cdp.eval("document.querySelectorAll('.search-facet-tag .search-chip').length")
    check(f'[{tag}] the search page shows tag chips (per-page tags loaded)', bool(tags), tags)
    if not file_mode:
        counts = cdp.eval("Object.fromEntries(Array.from(document.querySelectorAll('.search-facet-status .search-chip')).map(b => [b.dataset.value, +b.querySelector('.search-chip-count').textContent]))")
        check('[http] status facet has counts', bool(counts) and all(v > 0 for v in counts.values()), counts)
        # a tag in the URL matches in any case, on the search page and the decision log
        cdp.goto(page + '?q=decision&tag=Process')
        ok = cdp.wait("document.querySelectorAll('.search-chip[aria-pressed=true]').length > 0")
        pressed = cdp.eval("Array.from(document.querySelectorAll('.search-chip[aria-pressed=true]')).map(b => b.dataset.facet + '=' + b.dataset.value)")
        check('[http] ?tag=Process presses the chip of the tag process', ok and pressed == ['tag=process'], pressed)
        cdp.goto(base + 'adr/?tag=Infrastructure')
        ok = cdp.wait("document.querySelectorAll('tbody tr[data-status][hidden]').length > 0")
        rows = cdp.eval("Array.from(document.querySelectorAll('tbody tr[data-status]')).map(r => [r.hidden, r.getAttribute('data-tags')])") or []
        shown = [t for hidden, t in rows if not hidden]
        check('[http] /adr/?tag=Infrastructure shows only the decisions tagged infrastructure',
              ok and 0 < len(shown) < len(rows) and all('infrastructure' in (t or '') for t in shown), [len(shown), len(rows)])
        cdp.goto(page + '?q=decision&kind=adr')
        cdp.wait(f"{PAGE_TITLES}.length > 0")
        # toggling a facet updates the URL
        cdp.eval("document.querySelector('.search-facet-status .search-chip[data-value=accepted]').click()")
        ok = cdp.wait("location.search.includes('status=accepted')")
        statuses = cdp.eval("Array.from(document.querySelectorAll('#search-results .search-status')).map(e => e.textContent)")
        check('[http] status chip narrows results and updates the URL', ok and statuses and all(s == 'accepted' for s in statuses), [cdp.eval('location.search'), statuses])
        # typing on the page updates the URL
        cdp.eval("var i=document.getElementById('search-page-input'); i.focus(); i.select();")
        cdp.type('tracing')
        ok = cdp.wait("location.search.includes('q=tracing')")
        check('[http] typing on /search/ updates ?q=', ok, cdp.eval('location.search'))
        # `lore serve`'s "search" event calls LoreSearch.refresh(): the index is loaded again
        # and the results on screen are shown anew
        cdp.goto(page + '?q=kafka')
        cdp.wait(f"{PAGE_TITLES}.length > 0")
        cdp.eval("window.__fetched = []; var f = window.fetch; window.fetch = function (u) { window.__fetched.push(String(u)); return f.apply(this, arguments); }; document.getElementById('search-results').textContent = ''; LoreSearch.refresh()")
        ok = cdp.wait(f"{PAGE_TITLES}.length > 0 && window.__fetched.some(u => u.includes('manifest'))")
        check('[http] LoreSearch.refresh() reloads the index and shows the results again', ok, cdp.eval('window.__fetched'))
        # diacritics and CJK
        cdp.goto(page + '?q=equipes')
        ok = cdp.wait(f"{PAGE_TITLES}[0] === \"Décision d'architecture: gérer les équipes\"")
        check('[http] "equipes" finds "équipes" (diacritics folded)', ok, cdp.eval(PAGE_TITLES))
        cdp.goto(page + '?q=' + urllib.request.quote('東京'))
        ok = cdp.wait(f"{PAGE_TITLES}[0] === '東京データセンター移行'")
        check('[http] CJK query finds its page', ok, cdp.eval(PAGE_TITLES))
        # escaping: no script injection through the query
        cdp.goto(page + '?q=' + urllib.request.quote('<img src=x onerror=window.__pwned=1>'))
        time.sleep(0.5)
        check('[http] query text is never parsed as HTML', not cdp.eval('window.__pwned') and not cdp.eval("document.querySelector('#search-results img, #search-status img')"), '')


def main():
    if not os.path.exists(os.path.join(DEMO, 'search', 'manifest.js')):
        print(f'no index in {DEMO}/search (build the site first)')
        return 2
    srv = serve(DEMO)
    browser = Chromium(CHROMIUM, extra_flags=('--window-size=1200,900',))
    try:
        cdp = browser.cdp
        cdp.call('Page.enable')
        cdp.call('Runtime.enable')
        run_checks(cdp, f'http://127.0.0.1:{srv.server_address[1]}/')
        if '--no-file' not in sys.argv:
            run_checks(cdp, 'file://' + DEMO + '/', file_mode=True)
    finally:
        browser.close()
        srv.shutdown()
    return REPORT.summary()


if __name__ == '__main__':
    sys.exit(main())
