"""What every browser test shares: Debian's Chromium, the app served on 127.0.0.1, a page that records CSP refusals."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def served(app: Any) -> Iterator[str]:
    """The app on a real socket on 127.0.0.1, in a thread, for as long as the block runs."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@contextmanager
def chromium_page(base_url: str, *, locale: str | None = None, **page_options: Any) -> Iterator[Any]:
    """A page of a headless Chromium whose CSP refusals are kept: `window.__csp` (init scripts run outside the
    page's CSP, so they see every violation the policy reports) and `page.csp_console`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        context = browser.new_context(base_url=base_url, **({"locale": locale} if locale else {}), **page_options)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.add_init_script(
            "window.__csp = []; document.addEventListener('securitypolicyviolation', e => "
            "window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));"
        )
        page.csp_console = []
        page.on("console", lambda m: "Content Security Policy" in m.text and page.csp_console.append(m.text))
        try:
            yield page
        finally:
            browser.close()
