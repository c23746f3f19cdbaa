#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Drives netctl ui's page in headless Chromium over the DevTools protocol
(Debian's python3-websocket), for tests/integration/t_ui.sh.

  ui_cdp.py URL NETCTL NETWORK NETWORK2 SCREENSHOT

Opens URL (with its one-time token), waits for the picture, starts a
container on NETWORK with NETCTL (and connects it to NETWORK2 with an
alias) and waits for it to appear in the DOM,
clicks it and reads its endpoints, ports and DNS names, submits the explain
form, saves a screenshot, removes the container and waits for it to leave
the DOM (t_ui.sh has made container c1 publishing 8085:80 before); the page
must never reload (a mark it sets at load stays). Chromium
talks to 127.0.0.1 only. Prints one line per step; exits non-zero on a
failed check."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

URL, NETCTL, NETWORK, NETWORK2, SHOT = sys.argv[1:6]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def step(msg):
    print("# ui: " + msg, file=sys.stderr, flush=True)


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=20)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    fail("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            fail("JS %r: %s" % (expr, r["exceptionDetails"].get("text")))
        return r.get("result", {}).get("value")

    def wait(self, expr, what, deadline_s=20):
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if self.eval(expr):
                return
            time.sleep(0.05)
        fail("timed out (%ss) waiting for %s" % (deadline_s, what))


def netctl(*args):
    return subprocess.run([NETCTL, *args], check=True, capture_output=True, text=True).stdout.strip()


def main():
    if not CHROMIUM:
        print("SKIP: chromium missing", file=sys.stderr)
        sys.exit(77)
    profile = tempfile.mkdtemp(prefix="netd-ui-chromium.")
    browser = subprocess.Popen(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--no-default-browser-check", "--disable-background-networking", "--disable-extensions",
         "--disable-sync", "--disable-component-update", "--disable-default-apps", "--mute-audio",
         "--window-size=1400,900", "--user-data-dir=" + profile, "--remote-debugging-address=127.0.0.1",
         "--remote-debugging-port=0", "--remote-allow-origins=*", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        run(profile)
    finally:
        browser.kill()
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


def run(profile):
    port_file = os.path.join(profile, "DevToolsActivePort")
    end = time.monotonic() + 30
    while not os.path.exists(port_file) or not open(port_file).read().strip():
        if time.monotonic() > end:
            fail("chromium did not open its DevTools port")
        time.sleep(0.05)
    port = int(open(port_file).read().split()[0])
    targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=10))
    page_ws = next(t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page")
    p = Page(page_ws)
    p.call("Page.enable")
    p.call("Runtime.enable")

    step("open the page with its token")
    p.call("Page.navigate", url=URL)
    p.wait("document.readyState === 'complete' && !!document.querySelector('#graph svg')", "the picture")
    if p.eval("location.search") != "":
        fail("the token stayed in the address bar: " + p.eval("location.href"))
    if "netd_ui" in p.eval("document.cookie"):
        fail("the session cookie is readable from JS (not HttpOnly)")
    mark = p.eval("window.__netdUiLoad")
    before = p.eval("document.querySelector('#graph').dataset.containers")
    step("loaded (mark %s, %s container(s) drawn)" % (mark, before))

    def drawn(name):
        return "[...document.querySelectorAll('#graph g.cluster title, #graph g.cluster text')]" \
               ".some(t => t.textContent.includes('container %s '))" % name

    if p.eval(drawn("live1")):
        fail("live1 drawn before it exists")
    step("start a container: the picture must change without a reload")
    t0 = time.monotonic()
    cid = netctl("run", "-d", "--name", "live1", "--net", NETWORK, "bb", "sleep", "600")
    p.wait(drawn("live1"), "live1 in the DOM")
    step("live1 drawn %.2f s after `run` returned" % (time.monotonic() - t0))
    netctl("network", "connect", "--alias", "web.live", NETWORK2, "live1")
    p.wait("!!document.getElementById('live1:eth1')", "live1's second interface in the DOM")
    if p.eval("window.__netdUiLoad") != mark:
        fail("the page reloaded")

    step("click it: endpoints, ports, DNS names")
    found = p.eval("(() => { const g = document.getElementById('ctr:%s'); if (!g) return false;"
                   " g.dispatchEvent(new MouseEvent('click', {bubbles: true})); return true; })()" % cid)
    if not found:
        fail("no cluster with id ctr:%s" % cid)
    p.wait("(document.querySelector('#details h2') || {}).textContent === 'Container live1'", "live1's details")
    dns = p.eval("[...document.querySelectorAll('#endpoints td.dns')].map(t => t.textContent).join('|')")
    for name in ("live1", "web.live", cid[:12]):
        if name not in dns:
            fail("DNS names %r lack %s" % (dns, name))
    eps = p.eval("document.querySelector('#endpoints').textContent")
    if NETWORK not in eps or NETWORK2 not in eps or "eth1" not in eps:
        fail("endpoint table lacks the network or eth0: %r" % eps)
    step("details: " + dns)

    step("click c1: its published port")
    c1 = netctl("inspect", "c1")
    c1id = json.loads(c1)[0]["Id"]
    p.eval("document.getElementById('ctr:%s').dispatchEvent(new MouseEvent('click', {bubbles: true}))" % c1id)
    p.wait("(document.querySelector('#details h2') || {}).textContent === 'Container c1'", "c1's details")
    ports = p.eval("document.querySelector('#ports').textContent")
    if "80/tcp" not in ports or ":8085" not in ports:
        fail("c1's ports table lacks 80/tcp -> 8085: %r" % ports)
    step("ports: " + ports)

    step("click a bridge: what it is and the command that shows it")
    p.eval("(() => { const g = [...document.querySelectorAll('#graph g.node')].find(g => g.id.startsWith('br-'));"
           " g.dispatchEvent(new MouseEvent('click', {bubbles: true})); })()")
    p.wait("((document.querySelector('#details code.cmd') || {}).textContent || '').startsWith('ip -d addr show dev br-')",
           "the bridge's command")
    if p.eval("document.querySelector('#object').textContent").find("bridge") < 0:
        fail("the bridge's record is not shown: %r" % p.eval("document.querySelector('#details').textContent"))
    # back to live1 for the screenshot
    p.eval("document.getElementById('ctr:%s').dispatchEvent(new MouseEvent('click', {bubbles: true}))" % cid)
    p.wait("(document.querySelector('#details h2') || {}).textContent === 'Container live1'", "live1's details")

    step("explain form: netd's answer (or its error) is shown")
    p.eval("(() => { const f = document.querySelector('#explain'); f.src.value = 'live1';"
           " f.dst.value = 'c1'; f.port.value = '80'; f.requestSubmit(); })()")
    p.wait("!!document.querySelector('#explain-out .err, #explain-out [class^=verdict]')", "explain's answer")
    step("explain: " + p.eval("document.querySelector('#explain-out').textContent")[:200])

    # the hops of an answer in /explain's shape light the objects they name
    veth = p.eval("document.querySelector('#endpoints td:nth-child(2)').textContent.split(' ⇄ ')[1]")
    br = p.eval("[...document.querySelectorAll('#graph g.node')].map(g => g.id).find(i => i.startsWith('br-'))")
    # (as explain() keeps them: a redraw lights them again)
    lit = p.eval("highlight(state.hops = [{kind: 'veth', object: %s}, {kind: 'veth', object: 'eth0 of live1'}])"
                 % json.dumps("%s master %s" % (veth, br)))
    hops = p.eval("[...document.querySelectorAll('#graph g.hop')].map(g => g.id).sort().join(' ')")
    if lit != 3 or hops != " ".join(sorted([veth, br, "live1:eth0"])):
        fail("highlighting %s, %s, live1:eth0 lit %s: %r" % (veth, br, lit, hops))
    # and the lit shapes are drawn so (the page's style reaches graphviz's shapes)
    stroke = p.eval("getComputedStyle(document.querySelector('#graph g.hop path, #graph g.hop polygon')).stroke")
    if stroke != "rgb(224, 32, 28)":
        fail("a lit hop is drawn with stroke %s" % stroke)
    step("explain's hops lit: " + hops)

    shot = p.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    with open(SHOT, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    step("screenshot " + SHOT)

    step("remove it: the picture must change again without a reload")
    t0 = time.monotonic()
    netctl("rm", "-f", "live1")
    p.wait("!(%s)" % drawn("live1"), "live1 gone from the DOM")
    step("live1 gone %.2f s after `rm` returned" % (time.monotonic() - t0))
    if p.eval("window.__netdUiLoad") != mark:
        fail("the page reloaded")
    # the record goes a moment after the sandbox (the "destroy" event)
    p.wait("document.querySelector('#graph').dataset.containers === %s" % json.dumps(before),
           "the container count back to %s" % before)
    if p.eval("window.__netdUiLoad") != mark:
        fail("the page reloaded")
    print("ok")


main()
