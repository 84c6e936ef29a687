"""Shared by the browser checks: headless Chromium over the DevTools protocol (CDP), a static
server on 127.0.0.1, and a PASS/FAIL report. Python 3 standard library only (a minimal
WebSocket client is included). Everything started here is stopped here, by its own handle.
"""
import base64, json, os, socket, struct, subprocess, tempfile, threading, time, shutil
import http.server, functools, urllib.request

CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                  '--disable-background-networking', '--disable-component-update', '--disable-sync']


def default_chromium(argv):
    """`--chromium PATH` from argv, else the one on PATH, else Debian's."""
    if '--chromium' in argv:
        return argv[argv.index('--chromium') + 1]
    return shutil.which('chromium') or '/usr/bin/chromium'


class WS:
    """Just enough of RFC 6455 for CDP: text frames, client masking."""
    def __init__(self, url):
        assert url.startswith('ws://')
        hostport, path = url[5:].split('/', 1)
        host, port = hostport.split(':')
        self.s = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall((f'GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                        f'Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n').encode())
        buf = b''
        while b'\r\n\r\n' not in buf:
            chunk = self.s.recv(4096)
            if not chunk:
                raise RuntimeError('websocket handshake failed')
            buf += chunk
        self.rest = buf.split(b'\r\n\r\n', 1)[1]

    def send(self, text):
        data = text.encode()
        head = bytearray([0x81])
        n = len(data)
        if n < 126:
            head.append(0x80 | n)
        elif n < 65536:
            head.append(0x80 | 126); head += struct.pack('>H', n)
        else:
            head.append(0x80 | 127); head += struct.pack('>Q', n)
        mask = os.urandom(4)
        self.s.sendall(bytes(head) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n):
        while len(self.rest) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise RuntimeError('websocket closed')
            self.rest += chunk
        out, self.rest = self.rest[:n], self.rest[n:]
        return out

    def recv(self):
        msg = b''
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack('>H', self._read(2))[0]
            elif n == 127:
                n = struct.unpack('>Q', self._read(8))[0]
            payload = self._read(n)
            op = b0 & 0x0f
            if op == 8:
                raise RuntimeError('websocket closed')
            if op in (0, 1, 2):
                msg += payload
                if b0 & 0x80:
                    return msg.decode('utf-8', 'replace')


class CDP:
    def __init__(self, ws_url):
        self.ws = WS(ws_url)
        self.id = 0
        # Events arrive between replies; listeners see each one (e.g. to record every request).
        self.listeners = []

    def call(self, method, **params):
        self.id += 1
        my = self.id
        self.ws.send(json.dumps({'id': my, 'method': method, 'params': params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get('id') == my:
                if 'error' in m:
                    raise RuntimeError(f'{method}: {m["error"]}')
                return m.get('result', {})
            if 'method' in m:
                for listen in self.listeners:
                    listen(m['method'], m.get('params', {}))

    def eval(self, expr):
        r = self.call('Runtime.evaluate', expression=expr, returnByValue=True, awaitPromise=True)
        if 'exceptionDetails' in r:
            raise RuntimeError(f'JS error in {expr!r}: {r["exceptionDetails"]}')
        return r['result'].get('value')

    def goto(self, url):
        self.call('Page.navigate', url=url)
        self.wait("document.readyState === 'complete'")

    def wait(self, expr, timeout=10.0):
        end = time.time() + timeout
        while time.time() < end:
            try:
                if self.eval(expr):
                    return True
            except RuntimeError:
                pass
            time.sleep(0.05)
        return False

    def type(self, text):
        for ch in text:
            self.call('Input.dispatchKeyEvent', type='keyDown', key=ch, text=ch)
            self.call('Input.dispatchKeyEvent', type='keyUp', key=ch)
            time.sleep(0.02)

    def key(self, key, code=None, vk=0):
        self.call('Input.dispatchKeyEvent', type='rawKeyDown', key=key, code=code or key, windowsVirtualKeyCode=vk)
        self.call('Input.dispatchKeyEvent', type='keyUp', key=key, code=code or key, windowsVirtualKeyCode=vk)


def serve(root):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass
    handler = functools.partial(Quiet, directory=root)
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


class Chromium:
    """A headless Chromium with a fresh profile, and a CDP session on its first page."""
    def __init__(self, path, extra_flags=()):
        self.profile = tempfile.mkdtemp(prefix='lore-chromium-')
        self.proc = subprocess.Popen([path, *CHROMIUM_FLAGS, *extra_flags, f'--user-data-dir={self.profile}',
                                      '--remote-debugging-port=0', 'about:blank'],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            port = self._devtools_port()
            targets = json.load(urllib.request.urlopen(f'http://127.0.0.1:{port}/json/list'))
            page = next(t for t in targets if t.get('type') == 'page')
            self.cdp = CDP(page['webSocketDebuggerUrl'])
        except BaseException:
            self.close()
            raise

    def _devtools_port(self):
        end = time.time() + 30
        while time.time() < end:
            line = self.proc.stderr.readline()
            if 'DevTools listening on' in line:
                # keep draining stderr so Chromium never blocks on a full pipe
                threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()
                return int(line.strip().rsplit(':', 1)[1].split('/')[0])
            if not line and self.proc.poll() is not None:
                break
        raise RuntimeError('chromium did not start')

    def close(self):
        """SIGTERM first so Chromium stops its own helpers, then SIGKILL: this process only."""
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


class Report:
    def __init__(self):
        self.results = []

    def check(self, name, ok, detail=''):
        self.results.append(bool(ok))
        print(('PASS ' if ok else 'FAIL ') + name + ('' if ok else f'  -- {detail}'), flush=True)

    def summary(self):
        passed, failed = self.results.count(True), self.results.count(False)
        print(f'{passed} passed, {failed} failed')
        return 0 if failed == 0 else 1
