#!/usr/bin/env python3
"""Screenshots of a running Odoo in headless Chromium, for the Apps pages
(static/description/*.png) of the addons.

    python3 tools/screenshots.py --base http://127.0.0.1:8069 --out /tmp/shots \\
        contact=/odoo/action-base.action_partner_form/42 \\
        'tiers=/odoo/action-relationship_mgmt.relationship_engagement_action?view_type=kanban'

Each NAME=PATH is opened after logging in (--login/--password, admin/admin by
default), waited for until the web client is idle, optionally clicked
(NAME=PATH@@CSS clicks the first element matching CSS, e.g. a notebook tab)
and saved as OUT/NAME.png, 1280x800, reduced to a 256-colour palette (Pillow)
so that each file stays small. Needs chromium and websocket-client; it talks
to Chromium over the DevTools protocol on a local port and to nothing else.
"""

import argparse
import base64
import io
import json
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket
from PIL import Image

IDLE_JS = """
(() => {
    const busy = document.querySelector(
        '.o_loading_indicator, .o_blockUI, .o-main-components-container .o_loading');
    const view = document.querySelector(
        '.o_action_manager .o_view_controller, .o_action_manager .o_action, '
        + '.o_portal_wrap, .oe_login_form');
    return Boolean(view) && !busy && document.readyState === 'complete';
})()
"""


class Browser:
    def __init__(self, port, width, height):
        self.profile = tempfile.TemporaryDirectory(prefix="shots-")
        self.process = subprocess.Popen(
            [
                "chromium",
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--remote-debugging-port={port}",
                f"--window-size={width},{height}",
                f"--user-data-dir={self.profile.name}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as r:
                    pages = [t for t in json.load(r) if t["type"] == "page"]
                if pages:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("Chromium did not start")
            time.sleep(0.3)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"])
        self.next_id = 0
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(
            json.dumps({"id": self.next_id, "method": method, "params": params})
        )
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call(
            "Runtime.evaluate",
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        return result.get("result", {}).get("value")

    def wait_idle(self, timeout=30, settle=1.5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(IDLE_JS):
                time.sleep(settle)
                if self.evaluate(IDLE_JS):
                    return
            time.sleep(0.3)
        raise RuntimeError("the page did not settle")

    def goto(self, url):
        self.call("Page.navigate", url=url)
        time.sleep(0.5)
        self.wait_idle()

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(10)
        self.profile.cleanup()


def login(browser, base, user, password):
    # Land on Contacts, a view the idle check recognises (not Discuss, the
    # default home page of an administrator, nor an empty home).
    browser.goto(f"{base}/web/login?redirect=/odoo/action-base.action_partner_form")
    browser.evaluate(
        f"document.querySelector('input[name=login]').value = {json.dumps(user)};"
        "document.querySelector('input[name=password]').value = "
        f"{json.dumps(password)};"
        "document.querySelector('form.oe_login_form').submit();"
    )
    time.sleep(1.5)
    browser.wait_idle()


def shoot(browser, path, colours):
    data = base64.b64decode(
        browser.call("Page.captureScreenshot", format="png")["data"]
    )
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image.quantize(colours, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8069")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--colours", type=int, default=256)
    parser.add_argument("--port", type=int, default=9333)
    parser.add_argument("screens", nargs="+", metavar="NAME=PATH[@@CSS]")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    browser = Browser(args.port, args.width, args.height)
    try:
        login(browser, args.base, args.login, args.password)
        for screen in args.screens:
            name, _, rest = screen.partition("=")
            path, _, clicks = rest.partition("@@")
            browser.goto(args.base + path)
            for css in filter(None, clicks.split("@@")):
                browser.evaluate(f"document.querySelector({json.dumps(css)}).click()")
                time.sleep(0.5)
                browser.wait_idle()
            # Toasts (a save, "The page is out of date" after a restart of
            # the server) would hide part of the screen.
            browser.evaluate(
                "document.querySelectorAll('.o_notification').forEach(n => n.remove())"
            )
            target = args.out / f"{name}.png"
            shoot(browser, target, args.colours)
            print(f"{target} {target.stat().st_size // 1024} KB")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
