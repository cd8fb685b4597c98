"""A small SMTP submission server on 127.0.0.1 with STARTTLS and AUTH PLAIN, for the live tests.

Python standard library only, one thread per connection, everything bounded
(socket timeouts, a per-connection deadline, a command and a message size
limit, and a lifetime after which the server stops accepting).  The TLS side
comes in the same flavours as the Dovecot servers of ``tests/harness/dovecot.py``:

``modern``
    TLS 1.2 and newer only.
``legacy_ecdhe``
    TLS 1.0 only, ECDHE key exchange (``DEFAULT:@SECLEVEL=0``).
``legacy_rsa``
    TLS 1.0 only, RSA key exchange (``AES128-SHA:@SECLEVEL=0``).
``tls12_only``
    TLS 1.2 and nothing else: a server a TLS 1.3 minimum cannot reach.

Every accepted message is kept in ``messages`` with the TLS version and cipher
it came over; failed handshakes are kept in ``tls_failures``.  AUTH is only
offered after STARTTLS, and mail is only accepted after a successful AUTH, so a
recorded message proves that the client did TLS and logged in.
"""
import base64
import socket
import ssl
import threading
import time
import warnings

HOST = '127.0.0.1'
FLAVOURS = {
    'modern': (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.MAXIMUM_SUPPORTED, None),
    'legacy_ecdhe': (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1, 'DEFAULT:@SECLEVEL=0'),
    'legacy_rsa': (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1, 'AES128-SHA:@SECLEVEL=0'),
    'tls12_only': (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2, None),
}
MAX_LINE = 4096
MAX_MESSAGE = 1024 * 1024
MAX_COMMANDS = 50


class _Closed(Exception):
    """The peer went away, broke a limit or timed out."""


def server_context(flavour, cert, key):
    """The ``ssl.SSLContext`` of a flavour (raises ssl.SSLError when this OpenSSL cannot do it)."""
    minimum, maximum, ciphers = FLAVOURS[flavour]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if ciphers:
        ctx.set_ciphers(ciphers)
    with warnings.catch_warnings():
        # TLS 1.0 is deprecated in Python's ssl module: serving it is the point here
        warnings.simplefilter('ignore', DeprecationWarning)
        ctx.minimum_version = minimum
        ctx.maximum_version = maximum
    ctx.load_cert_chain(cert, key)
    return ctx


class _Connection(object):
    def __init__(self, server, sock, peer):
        self.server = server
        self.sock = sock
        self.peer = peer
        self.buffer = b''
        self.deadline = time.monotonic() + server.connection_timeout
        self.tls = None
        self.user = None

    def send(self, text):
        self.sock.sendall(text.encode('ascii') + b'\r\n')

    def line(self, limit=MAX_LINE):
        while b'\n' not in self.buffer:
            if len(self.buffer) > limit or time.monotonic() > self.deadline:
                raise _Closed('line too long or connection deadline')
            try:
                data = self.sock.recv(4096)
            except (OSError, ssl.SSLError) as exc:
                raise _Closed(str(exc))
            if not data:
                raise _Closed('peer closed')
            self.buffer += data
        raw, self.buffer = self.buffer.split(b'\n', 1)
        return raw.rstrip(b'\r').decode('utf-8', 'replace')

    def starttls(self):
        if self.buffer:
            self.send('501 5.5.2 no pipelining into STARTTLS')
            raise _Closed('data after STARTTLS')
        self.send('220 2.0.0 go ahead')
        try:
            self.sock = self.server.context.wrap_socket(self.sock, server_side=True)
        except (OSError, ssl.SSLError) as exc:
            self.server.record_failure(self.peer, str(exc))
            raise _Closed('handshake failed')
        self.tls = (self.sock.version(), self.sock.cipher()[0])

    def auth(self, words):
        if self.tls is None:
            self.send('538 5.7.11 encryption required')
            return
        if len(words) < 2 or words[1].upper() != 'PLAIN':
            self.send('504 5.5.4 only PLAIN')
            return
        if len(words) > 2:
            blob = words[2]
        else:
            self.send('334 ')
            blob = self.line()
        try:
            parts = base64.b64decode(blob, validate=True).split(b'\0')
        except (ValueError, TypeError):
            parts = []
        if len(parts) == 3 and parts[1].decode('utf-8', 'replace') == self.server.user and parts[2].decode('utf-8', 'replace') == self.server.password:
            self.user = self.server.user
            self.send('235 2.7.0 authenticated')
        else:
            self.send('535 5.7.8 bad credentials')

    def data(self, envelope):
        self.send('354 end with <CRLF>.<CRLF>')
        lines = []
        size = 0
        while True:
            text = self.line()
            if text == '.':
                break
            if text.startswith('.'):
                text = text[1:]
            size += len(text) + 2
            if size > MAX_MESSAGE:
                raise _Closed('message too large')
            lines.append(text)
        self.server.record_message(dict(envelope, data='\r\n'.join(lines) + '\r\n', tls_version=self.tls[0], cipher=self.tls[1],
                                        user=self.user))
        self.send('250 2.0.0 queued')

    def serve(self):
        envelope = {'mail_from': None, 'rcpt_to': []}
        self.send('220 localhost ESMTP mailtls test server')
        for unused in range(MAX_COMMANDS):
            words = self.line().split()
            verb = words[0].upper() if words else ''
            if verb in ('EHLO', 'HELO'):
                offer = ['AUTH PLAIN'] if self.tls else ['STARTTLS']
                reply = ['localhost'] + offer + ['8BITMIME']
                for item in reply[:-1]:
                    self.sock.sendall(('250-%s\r\n' % item).encode('ascii'))
                self.send('250 %s' % reply[-1])
            elif verb == 'STARTTLS' and self.tls is None:
                self.starttls()
            elif verb == 'AUTH':
                self.auth(words)
            elif verb == 'MAIL':
                if self.user is None:
                    self.send('530 5.7.0 authentication required')
                else:
                    envelope = {'mail_from': ' '.join(words[1:]), 'rcpt_to': []}
                    self.send('250 2.1.0 ok')
            elif verb == 'RCPT' and envelope['mail_from'] is not None:
                envelope['rcpt_to'].append(' '.join(words[1:]))
                self.send('250 2.1.5 ok')
            elif verb == 'DATA' and envelope['rcpt_to']:
                self.data(envelope)
                envelope = {'mail_from': None, 'rcpt_to': []}
            elif verb in ('RSET', 'NOOP'):
                self.send('250 2.0.0 ok')
            elif verb == 'QUIT':
                self.send('221 2.0.0 bye')
                return
            else:
                self.send('503 5.5.1 bad sequence or unknown command')


class SmtpServer(object):
    """One flavour on a free port of 127.0.0.1; ``start()``/``stop()`` or a context manager."""

    def __init__(self, flavour, cert, key, user, password, lifetime=300.0, connection_timeout=30.0):
        self.flavour = flavour
        self.context = server_context(flavour, cert, key)
        self.user = user
        self.password = password
        self.lifetime = lifetime
        self.connection_timeout = connection_timeout
        self.host = HOST
        self.port = None
        self.messages = []
        self.tls_failures = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = None
        self._thread = None
        self._workers = []

    def record_message(self, message):
        with self._lock:
            self.messages.append(message)

    def record_failure(self, peer, error):
        with self._lock:
            self.tls_failures.append({'peer': peer, 'error': error})

    def start(self):
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((HOST, 0))
        self._listener.listen(8)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, name='smtp-%s' % self.flavour, daemon=True)
        self._thread.start()
        return self

    def _accept_loop(self):
        deadline = time.monotonic() + self.lifetime
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                sock, peer = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            sock.settimeout(min(10.0, self.connection_timeout))
            worker = threading.Thread(target=self._serve, args=(sock, peer), daemon=True)
            self._workers.append(worker)
            worker.start()
        self._listener.close()

    def _serve(self, sock, peer):
        conn = _Connection(self, sock, peer)
        try:
            conn.serve()
        except (_Closed, OSError, ssl.SSLError):
            pass
        finally:
            try:
                conn.sock.close()
            except OSError:
                pass

    def settle(self, timeout=10.0):
        """Wait (bounded) until every connection accepted so far has ended; True when they all have."""
        deadline = time.monotonic() + timeout
        for worker in list(self._workers):
            worker.join(max(0.0, deadline - time.monotonic()))
        return not any(worker.is_alive() for worker in list(self._workers))

    def stop(self, timeout=10.0):
        self._stop.set()
        deadline = time.monotonic() + timeout
        if self._thread is not None:
            self._thread.join(max(0.1, deadline - time.monotonic()))
        for worker in self._workers:
            worker.join(max(0.1, deadline - time.monotonic()))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
