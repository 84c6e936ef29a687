#!/usr/bin/env python3
"""Browser check of diagrams: a page with a good ```mermaid block and a broken one.

Usage: diagram_check.py SITE_DIR [--chromium PATH]
SITE_DIR is a built site whose /posts/diagrams/ has a good flowchart first and a diagram
Mermaid cannot read second. Served on 127.0.0.1 and opened from file://: the good one is drawn,
the broken one keeps showing its source. Prints 'N passed, M failed'; exit code 0 when all pass.
"""
import os, sys

from cdp import Chromium, Report, default_chromium, serve

SITE = os.path.abspath(next(a for a in sys.argv[1:] if not a.startswith('--') and a != default_chromium(sys.argv)))
REPORT = Report()
check = REPORT.check
BLOCKS = "Array.from(document.querySelectorAll('pre.mermaid'))"


def check_page(cdp, url, tag):
    cdp.goto(url)
    drawn = cdp.wait(f"{BLOCKS}.length === 2 && !!{BLOCKS}[0].querySelector('svg')", timeout=10)
    check(f'[{tag}] the good diagram is drawn', drawn, cdp.eval(f"{BLOCKS}.map(b => b.outerHTML.slice(0, 120))"))
    # The broken one is given up on once Mermaid is done with both.
    kept = cdp.wait(f"{BLOCKS}[1].classList.contains('mermaid-unread')", timeout=10)
    text = cdp.eval(f"{BLOCKS}[1].textContent")
    check(f'[{tag}] the broken diagram keeps showing its source', kept and 'this is not' in (text or ''), text)


def main():
    srv = serve(SITE)
    browser = Chromium(default_chromium(sys.argv))
    try:
        cdp = browser.cdp
        for domain in ('Page', 'Runtime'):
            cdp.call(f'{domain}.enable')
        check_page(cdp, f'http://127.0.0.1:{srv.server_address[1]}/posts/diagrams/', 'http')
        check_page(cdp, 'file://' + os.path.join(SITE, 'posts', 'diagrams', 'index.html'), 'file://')
    finally:
        browser.close()
        srv.shutdown()
    return REPORT.summary()


if __name__ == '__main__':
    sys.exit(main())
