# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Live check: the parser's verdict matches what the real OpenSSL does.

A loopback ``openssl s_server`` accepts only TLS 1.0 with RSA key exchange
(``AES128-SHA:@SECLEVEL=0``). ``openssl s_client`` then runs with
``OPENSSL_CONF`` pointing at each candidate file. The parser says whether
the file enforces TLS >= 1.2; the handshake must fail exactly when it does.
Everything listens on 127.0.0.1 only; every wait is bounded.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

from ansible_collections.mailtls.remediation.plugins.module_utils import _openssl_conf as oc

OPENSSL = shutil.which('openssl')
pytestmark = pytest.mark.usefixtures('require_openssl')
DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'unit', 'data', 'openssl')
TIMEOUT = 15


def _fixture(*parts):
    with open(os.path.join(DATA, *parts), 'rb') as handle:
        return handle.read()


def _free_port():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
    finally:
        sock.close()


@pytest.fixture(scope='module')
def workdir(tmp_path_factory):
    base = tmp_path_factory.mktemp('openssl-live')
    empty = base / 'empty.cnf'
    empty.write_text('# no policy\n')
    env = dict(os.environ, OPENSSL_CONF=str(empty))
    subprocess.run([OPENSSL, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '2',
                    '-keyout', str(base / 'k.pem'), '-out', str(base / 'c.pem')],
                   env=env, check=True, capture_output=True, timeout=60)
    return base


class Server(object):
    """openssl s_server on 127.0.0.1 with a bounded start-up wait."""

    def __init__(self, workdir, proto_args, cipher):
        self.workdir = workdir
        self.args = proto_args
        self.cipher = cipher
        self.proc = None
        self.port = None

    def __enter__(self):
        env = dict(os.environ, OPENSSL_CONF=str(self.workdir / 'empty.cnf'))
        for attempt in range(5):
            self.port = _free_port()
            cmd = [OPENSSL, 's_server', '-accept', '127.0.0.1:%d' % self.port, '-cert', str(self.workdir / 'c.pem'),
                   '-key', str(self.workdir / 'k.pem'), '-www'] + self.args
            if self.cipher:
                cmd += ['-cipher', self.cipher]
            self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT)
            if self._wait_accept():
                return self
            self._stop()
            time.sleep(0.2 * (attempt + 1))
        raise RuntimeError('s_server did not start')

    def _wait_accept(self):
        seen = threading.Event()

        def reader():
            for line in iter(self.proc.stdout.readline, b''):
                if b'ACCEPT' in line:
                    seen.set()
        thread = threading.Thread(target=reader)
        thread.daemon = True
        thread.start()
        deadline = time.time() + 10
        while time.time() < deadline and self.proc.poll() is None:
            if seen.wait(0.1):
                return True
        return False

    def _stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass

    def __exit__(self, *exc):
        self._stop()
        return False


def handshake(workdir, port, conf_text, name):
    """True when s_client completes a handshake using conf_text as OPENSSL_CONF."""
    path = workdir / name
    path.write_bytes(oc.encode_lossless(conf_text) if isinstance(conf_text, str) else conf_text)
    env = dict(os.environ, OPENSSL_CONF=str(path))
    try:
        done = subprocess.run([OPENSSL, 's_client', '-connect', '127.0.0.1:%d' % port, '-brief', '-no_ign_eof'],
                              input=b'Q\n', env=env, capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return False
    out = done.stdout + done.stderr
    return done.returncode == 0 and b'Protocol version' in out


def enforces_tls12(conf_bytes):
    res = oc.resolve_system_default('/etc/ssl/openssl.cnf', fs=oc.MemoryFS({'/etc/ssl/openssl.cnf': conf_bytes}), env=dict(os.environ))
    return oc.chain_applies(res) and res['min_protocol'] in ('tls1_2', 'tls1_3'), res


def _cases():
    debian = _fixture('debian12', 'etc', 'ssl', 'openssl.cnf')
    planned = oc.encode_lossless(oc.plan_policy({'/etc/ssl/openssl.cnf': debian}, main_path='/etc/ssl/openssl.cnf')[0][2])
    broken_planned = planned.replace(b'[ssl_sect]', b'[ssl_sect', 1)
    misspelt = planned.replace(b'MinProtocol = TLSv1.2', b'MinProtocol = TLS1.2')
    return [
        ('stock_debian12', debian, False),
        ('planned_min_tls12', planned, True),
        ('misspelt_value', misspelt, False),
        ('syntax_error', broken_planned, False),
        ('openssl_conf_twice', _fixture('malformed', 'openssl_conf_twice.cnf'), False),
        ('openssl_conf_bottom', _fixture('malformed', 'openssl_conf_bottom.cnf'), False),
        ('ubuntu_plus_min', _fixture('malformed', 'duplicate_min.cnf'), True),
    ]


@pytest.fixture(scope='module')
def tls10_server(workdir):
    with Server(workdir, ['-tls1'], 'AES128-SHA:@SECLEVEL=0') as server:
        if not handshake(workdir, server.port, '# empty\n', 'baseline.cnf'):
            pytest.skip('this OpenSSL refuses TLS 1.0 even without any configuration')
        yield server


@pytest.mark.parametrize('name,conf,expected', _cases(), ids=[c[0] for c in _cases()])
def test_parser_verdict_matches_openssl(workdir, tls10_server, name, conf, expected):
    verdict, res = enforces_tls12(conf)
    assert verdict == expected, res['issues']
    connected = handshake(workdir, tls10_server.port, conf, name + '.cnf')
    assert connected == (not verdict), 'parser says enforces=%s but TLS 1.0 handshake connected=%s' % (verdict, connected)


def test_planned_config_still_allows_tls12(workdir):
    conf = _cases()[1][1]
    with Server(workdir, ['-tls1_2'], None) as server:
        assert handshake(workdir, server.port, conf, 'planned12.cnf')
