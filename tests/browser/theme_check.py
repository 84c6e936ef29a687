#!/usr/bin/env python3
"""Browser check of Lore's default theme (headless Chromium over the DevTools protocol).

Usage: theme_check.py SITE_DIR --shots DIR [--chromium PATH]
SITE_DIR is the bundled example site (`content/` + `lore.yaml`) as built by `lore build`.
Serves it on 127.0.0.1, then for the home page, a post, an ADR and the decision log, at 1280 and
390 px, light and dark: a screenshot into DIR, no horizontal scroll, WCAG AA text contrast
(a11y.js), landmarks and the skip link. Also: the table of contents follows the scroll, the theme
toggle persists across reloads, and no request leaves 127.0.0.1. Python 3 standard library only.
Exit code 0 when all checks pass; prints 'N passed, M failed'.
"""
import base64, json, os, struct, sys, time

from cdp import Chromium, Report, default_chromium, serve



def option(name):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else None


VALUES = {option('--shots'), option('--chromium')}
SITE = os.path.abspath(next(a for a in sys.argv[1:] if not a.startswith('--') and a not in VALUES))
SHOTS = os.path.abspath(option('--shots') or 'screenshots')
CHROMIUM = default_chromium(sys.argv)
A11Y_JS = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'a11y.js')).read()

# The pages of the example site that show each kind of template.
PAGES = {
    'home': '/',
    'post': '/posts/designing-a-search-index-for-static-files/',
    'adr': '/adr/0012-build-our-own-sharded-search-index/',
    'log': '/adr/',
    'search': '/search/?q=search',
}
TOC_PAGE = PAGES['post']
ALIAS = '/posts/search-index/'  # in the post's `aliases:`
DIAGRAM_PAGE = '/posts/how-lore-builds-a-site-in-one-pass/'  # has a ```mermaid block
WIDTHS = (1280, 390)
HEIGHT = 800
SCHEMES = ('light', 'dark')
THEME_KEY = 'lore-theme'  # the localStorage key theme.js and the inline script in base.html use

REPORT = Report()
check = REPORT.check


def set_viewport(cdp, width):
    # Phones are emulated as mobile, so the viewport meta tag and (hover: none) rules apply.
    cdp.call('Emulation.setDeviceMetricsOverride', width=width, height=HEIGHT, deviceScaleFactor=1,
             mobile=width < 600)


def set_scheme(cdp, scheme):
    cdp.call('Emulation.setEmulatedMedia', features=[{'name': 'prefers-color-scheme', 'value': scheme}])


def open_page(cdp, url):
    cdp.goto(url)
    cdp.wait('document.fonts.status === "loaded"')


def page_is_dark(cdp):
    """The page background as painted: darker than mid-grey means the dark palette is in use."""
    return cdp.eval(A11Y_JS + '; __loreA11y.ratio(getComputedStyle(document.body).backgroundColor, "rgb(0, 0, 0)") < 5')


def png_size(path):
    with open(path, 'rb') as f:
        head = f.read(24)
    assert head[:8] == b'\x89PNG\r\n\x1a\n', f'{path} is not a PNG'
    return struct.unpack('>II', head[16:24])


def screenshot(cdp, name):
    cdp.eval('window.scrollTo(0, 0)')
    data = cdp.call('Page.captureScreenshot', format='png')['data']
    path = os.path.join(SHOTS, name + '.png')
    with open(path, 'wb') as f:
        f.write(base64.b64decode(data))
    return path


def check_no_horizontal_scroll(cdp, tag):
    # A phone zooms out to fit wide content, and innerWidth grows with it: clientWidth (the
    # viewport meta width, 390) is the width that must hold everything.
    widths = cdp.eval('({scroll: document.documentElement.scrollWidth, inner: innerWidth, '
                      'client: document.documentElement.clientWidth})')
    wide = cdp.eval("""Array.from(document.querySelectorAll('body *')).filter(e => {
        const r = e.getBoundingClientRect(); return r.width && r.right > document.documentElement.clientWidth + 1;
      }).slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + e.className + ' right=' + Math.round(e.getBoundingClientRect().right))""")
    ok = widths['scroll'] <= widths['inner'] and widths['scroll'] <= widths['client']
    check(f'{tag}: no horizontal scroll', ok, [widths, wide])


def check_contrast(cdp, tag):
    result = cdp.eval(A11Y_JS + '; __loreA11y.contrast()')
    # Something must have been measured, or the check proves nothing.
    ok = result['checked'] > 20 and not result['failures']
    check(f'{tag}: text contrast meets WCAG AA ({result["checked"]} texts, {result["unmeasured"]} unmeasured)',
          ok, result['failures'][:8] or result)


def check_landmarks(cdp, tag):
    problems = cdp.eval(A11Y_JS + '; __loreA11y.landmarks()')
    check(f'{tag}: landmarks, lang and alt text', not problems, problems)


def check_skip_link(cdp, tag):
    """The first Tab stop is a visible link to <main>, and following it moves focus there."""
    cdp.eval('document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)')
    cdp.key('Tab', vk=9)
    first = cdp.eval("""(() => { const a = document.activeElement, r = a.getBoundingClientRect();
        return {tag: a.tagName, href: a.getAttribute('href'), text: a.textContent.trim(),
                visible: r.top >= 0 && r.bottom <= innerHeight && r.width > 1 && r.height > 1}; })()""")
    target = cdp.eval("(document.getElementById('lore-main') || {}).tagName")
    ok = first['tag'] == 'A' and first['href'] == '#lore-main' and first['visible'] and target == 'MAIN'
    check(f'{tag}: first Tab stop is a visible skip link to <main>', ok, [first, target])
    cdp.key('Enter', vk=13)
    moved = cdp.wait("document.activeElement && document.activeElement.id === 'lore-main'", timeout=3)
    check(f'{tag}: the skip link moves focus to <main>', moved, cdp.eval('document.activeElement.outerHTML.slice(0, 80)'))


def check_page(cdp, base, name, width, scheme, a11y):
    tag = f'[{scheme} {width}px] {name}'
    open_page(cdp, base + PAGES[name].lstrip('/'))
    if name == 'search':
        # Results, with their words marked, come after the page has loaded.
        check(f'{tag}: results with marked words', cdp.wait("document.querySelectorAll('#search-results mark').length > 2", timeout=5))
    path = screenshot(cdp, f'{name}-{width}-{scheme}')
    check(f'{tag}: screenshot {os.path.basename(path)}', png_size(path) == (width, HEIGHT), png_size(path))
    check(f'{tag}: palette follows prefers-color-scheme', page_is_dark(cdp) == (scheme == 'dark'), scheme)
    if width < 600:
        check_no_horizontal_scroll(cdp, tag)
    check_contrast(cdp, tag)
    if a11y:
        check_landmarks(cdp, tag)
        if name != 'search':  # the search page puts the focus in its box
            check_skip_link(cdp, tag)


ACTIVE_TOC = """Array.from(document.querySelectorAll('.toc a.active, .toc a[aria-current]'))
    .map(a => a.getAttribute('href') + (a.classList.contains('active') ? ' active' : '') + (a.getAttribute('aria-current') ? ' current' : ''))"""


def scroll_to_heading(cdp, heading_id):
    # 'instant' because the theme sets scroll-behavior: smooth
    cdp.eval(f"""window.scrollTo({{top: document.getElementById('{heading_id}').getBoundingClientRect().top + scrollY - 40,
                                    behavior: 'instant'}})""")


def check_toc_follows_scroll(cdp, base):
    set_viewport(cdp, 1280)
    open_page(cdp, base + TOC_PAGE.lstrip('/'))
    ids = cdp.eval("Array.from(document.querySelectorAll('.toc a[href^=\"#\"]')).map(a => a.getAttribute('href').slice(1))")
    check('[toc] the post has a table of contents with several entries', ids and len(ids) >= 4, ids)
    if not ids or len(ids) < 4:
        return
    # Down the page, then back up: the entry for the heading at the top is the one marked.
    for heading in (ids[3], ids[-1], ids[1]):
        scroll_to_heading(cdp, heading)
        want = json.dumps([f'#{heading} active current'])
        ok = cdp.wait(f'JSON.stringify({ACTIVE_TOC}) === {json.dumps(want)}', timeout=3)
        check(f'[toc] scrolled to #{heading}: only its TOC link is active and aria-current', ok, cdp.eval(ACTIVE_TOC))


def check_fragment_in_another_case(cdp, base):
    """`#Heading` as GitHub links write it reaches the heading whose id is `heading`."""
    set_viewport(cdp, 1280)
    open_page(cdp, base + TOC_PAGE.lstrip('/'))
    ids = cdp.eval("Array.from(document.querySelectorAll('.toc a[href^=\"#\"]')).map(a => a.getAttribute('href').slice(1))")
    target = ids[2] if ids and len(ids) > 2 else None
    check('[fragment] the post has a third heading to link to', target, ids)
    if not target:
        return
    open_page(cdp, base)  # a new document, then a link within it
    for how, go in (('load', lambda t: open_page(cdp, base + TOC_PAGE.lstrip('/') + '#' + t.upper())),
                    ('link', lambda t: cdp.eval(f"location.hash = '#{t.upper()}'"))):
        target = ids[2] if how == 'load' else ids[3] if len(ids) > 3 else ids[1]
        go(target)
        top = f"Math.round(document.getElementById('{target}').getBoundingClientRect().top)"
        # The theme scrolls smoothly: wait for the heading to arrive near the top.
        ok = cdp.wait(f"location.hash === '#{target}' && {top} >= 0 && {top} < 200", timeout=3)
        check(f'[fragment] #{target.upper()} goes to #{target} ({how})', ok,
              {'hash': cdp.eval('location.hash'), 'top': cdp.eval(top)})


def check_alias_redirects(cdp, base):
    """An earlier URL of the post (`aliases:` in its front matter) lands on the post, its
    fragment kept."""
    open_page(cdp, base + TOC_PAGE.lstrip('/'))
    ids = cdp.eval("Array.from(document.querySelectorAll('.toc a[href^=\"#\"]')).map(a => a.getAttribute('href').slice(1))")
    target = ids[1] if ids and len(ids) > 1 else 'missing'
    cdp.goto(base + ALIAS.lstrip('/') + '#' + target)
    ok = cdp.wait(f"location.pathname === '{TOC_PAGE}' && location.hash === '#{target}'", timeout=5)
    check(f'[alias] {ALIAS}#{target} redirects to {TOC_PAGE}#{target}', ok,
          {'at': cdp.eval('location.href')})


def check_diagrams(cdp, base):
    """The ```mermaid block of the pipeline post is drawn, and drawn again in the other scheme;
    pages without one do not load Mermaid."""
    set_viewport(cdp, 1280)
    open_page(cdp, base + DIAGRAM_PAGE.lstrip('/'))
    drawn = "document.querySelector('pre.mermaid svg')"
    ok = cdp.wait(f"!!{drawn} && {drawn}.textContent.includes('Documents')", timeout=10)
    check('[diagram] the pipeline post draws its mermaid flowchart', ok,
          cdp.eval("document.querySelector('pre.mermaid') && document.querySelector('pre.mermaid').outerHTML.slice(0, 200)"))
    fill = f"{drawn} && getComputedStyle({drawn}.querySelector('.node rect, .node polygon')).fill"
    before = cdp.eval(fill)
    cdp.eval("document.documentElement.setAttribute('data-theme', document.documentElement.getAttribute('data-theme') === 'dark' ? 'light' : 'dark')")
    ok = cdp.wait(f"{fill} && {fill} !== {json.dumps(before)}", timeout=10)
    check('[diagram] drawn again in the other scheme', ok, {'before': before, 'after': cdp.eval(fill)})
    cdp.eval("document.documentElement.removeAttribute('data-theme')")
    open_page(cdp, base + TOC_PAGE.lstrip('/'))
    check('[diagram] a page without one does not load Mermaid', cdp.eval("typeof window.mermaid === 'undefined'"))


def check_file_mode(cdp):
    """Opened from disk, the decision log's script runs to the end: its graph's SVG links (whose
    `.href` is read-only) name index.html files as the others do; an alias lands on its page's file."""
    cdp.goto('file://' + os.path.join(SITE, 'adr', 'index.html'))
    links = cdp.eval("Array.from(document.querySelectorAll('svg.adr-graph a')).map(a => a.getAttribute('href'))") or []
    check('[file://] the decision graph has links', len(links) > 2, links)
    check('[file://] graph links name index.html files', all(h.endswith('index.html') for h in links), links)
    # The footer comes after the graph: its links are rewritten only if the script got past it.
    footer = cdp.eval("Array.from(document.querySelectorAll('footer a')).map(a => a.getAttribute('href')).filter(h => !h.startsWith('http'))") or []
    check('[file://] links after the graph name index.html files too',
          any(h.endswith('/index.html') for h in footer) and not any(h.endswith('/') for h in footer), footer)
    cdp.goto('file://' + os.path.join(SITE, ALIAS.strip('/'), 'index.html') + '#the-measurements')
    landed = cdp.wait(f"location.pathname.endsWith('{TOC_PAGE}index.html') && location.hash === '#the-measurements'", timeout=5)
    check('[file://] an alias redirects to the page file, its fragment kept', landed, cdp.eval('location.href'))


def click(cdp, selector):
    """A real mouse click in the middle of the element."""
    box = cdp.eval(f"(() => {{ const r = document.querySelector('{selector}').getBoundingClientRect(); "
                   "return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()")
    for kind in ('mousePressed', 'mouseReleased'):
        cdp.call('Input.dispatchMouseEvent', type=kind, x=box['x'], y=box['y'], button='left', clickCount=1)


def theme_state(cdp):
    return cdp.eval(f"""({{attr: document.documentElement.getAttribute('data-theme'),
        stored: localStorage.getItem('{THEME_KEY}'),
        pressed: document.querySelector('.theme-toggle').getAttribute('aria-pressed')}})""")


def check_toggle_persists(cdp, base):
    """From the system's light scheme: toggle to dark, reload, open another page, toggle back."""
    set_viewport(cdp, 1280)
    set_scheme(cdp, 'light')
    open_page(cdp, base)
    cdp.eval(f"localStorage.removeItem('{THEME_KEY}')")
    open_page(cdp, base)
    for want, pressed in (('dark', 'true'), ('light', 'false')):
        click(cdp, '.theme-toggle')
        state = theme_state(cdp)
        ok = state == {'attr': want, 'stored': want, 'pressed': pressed} and page_is_dark(cdp) == (want == 'dark')
        check(f'[toggle] click switches to {want} and stores it', ok, state)
        cdp.call('Page.reload')
        cdp.wait("document.readyState === 'complete'")
        state = theme_state(cdp)
        check(f'[toggle] {want} survives a reload', state['attr'] == want and page_is_dark(cdp) == (want == 'dark'), state)
        open_page(cdp, base + PAGES['adr'].lstrip('/'))
        state = theme_state(cdp)
        check(f'[toggle] {want} holds on another page', state['attr'] == want and state['pressed'] == pressed, state)
    cdp.eval(f"localStorage.removeItem('{THEME_KEY}')")


def check_requests_stay_local(cdp, base, urls):
    # Typing in the search box also loads the search index: those requests count too.
    open_page(cdp, base)
    cdp.eval("document.getElementById('search-input').focus()")
    cdp.type('search index')
    cdp.wait("document.querySelector('#search-panel:not([hidden])')", timeout=5)
    time.sleep(0.3)
    outside = [u for u in urls if not (u.startswith(base) or u.startswith('data:'))]
    loaded = {u.split('?')[0].rsplit('/', 1)[-1] for u in urls}
    check(f'[network] all {len(urls)} requests stay on {base}', urls and not outside, outside[:10])
    check('[network] the theme and search assets were among them',
          {'lore.css', 'theme.js', 'search.js', 'manifest.js'} <= loaded, sorted(loaded))


def main():
    if not os.path.exists(os.path.join(SITE, 'index.html')):
        print(f'no site in {SITE} (build it with `lore build` first)')
        return 2
    os.makedirs(SHOTS, exist_ok=True)
    srv = serve(SITE)
    base = f'http://127.0.0.1:{srv.server_address[1]}/'
    browser = Chromium(CHROMIUM, ['--hide-scrollbars'])  # cleaner screenshots
    cdp = browser.cdp
    urls = []
    cdp.listeners.append(lambda method, params: method == 'Network.requestWillBeSent' and urls.append(params['request']['url']))
    try:
        for domain in ('Page', 'Runtime', 'Network'):
            cdp.call(f'{domain}.enable')
        open_page(cdp, base)
        cdp.eval(f"localStorage.removeItem('{THEME_KEY}')")
        for scheme in SCHEMES:
            set_scheme(cdp, scheme)
            for width in WIDTHS:
                set_viewport(cdp, width)
                for name in PAGES:
                    check_page(cdp, base, name, width, scheme, a11y=(scheme, width) == ('light', 1280))
        set_scheme(cdp, 'light')
        check_toc_follows_scroll(cdp, base)
        check_fragment_in_another_case(cdp, base)
        check_alias_redirects(cdp, base)
        check_diagrams(cdp, base)
        check_toggle_persists(cdp, base)
        check_requests_stay_local(cdp, base, urls)
        check_file_mode(cdp)
    finally:
        browser.close()
        srv.shutdown()
    print(f'screenshots: {SHOTS}')
    return REPORT.summary()


if __name__ == '__main__':
    sys.exit(main())
