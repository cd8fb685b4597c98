#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: tls_probe
short_description: Real TLS handshakes from the host to mail endpoints, per protocol version and TLS stack
version_added: 0.1.0
description:
  - Connects from the managed host to each endpoint (Exchange Online by default) and tries one
    handshake per protocol version and per TLS stack ("engine") found on the host, with retries.
  - Shows what the host's own configuration allows. A version is isolated by B(disabling the others)
    only, never by raising or lowering a minimum, so the host policy stays in force. C(openssl s_client)
    gets C(-no_ssl3 -no_tls1 -no_tls1_1 -no_tls1_2 -no_tls1_3) minus the version under test; the Python
    engine sets C(ssl.OP_NO_*) options only; C(gnutls-cli) gets the priority
    C(<base>:-VERS-ALL:+VERS-<version>), and the C([overrides] disabled-version) lines of the GnuTLS
    system file still apply to such a priority (checked on GnuTLS 3.7.9).
  - IMAP, POP3 and SMTP endpoints are supported, with implicit TLS or STARTTLS (C(a STARTTLS), C(STLS),
    C(EHLO) then C(STARTTLS)).
  - A try that fails is retried with exponential backoff; a refusal by local policy is not retried
    because it cannot change. When tries of one probe disagree the outcome is V(intermittent); Exchange
    Online rejected a growing share of legacy connections at random before refusing them all.
  - The whole call is bounded by O(total_timeout); probes that could not run in time are reported as
    V(error).
  - Never changes anything on the host.
author:
  - mailtls.remediation contributors (@mailtls)
options:
  endpoints:
    description:
      - The servers to probe.
      - Default is Exchange Online C(outlook.office365.com) port 993 (IMAP, implicit TLS), port 995
        (POP3, implicit TLS) and C(smtp.office365.com) port 587 (SMTP, STARTTLS).
    type: list
    elements: dict
    suboptions:
      host:
        description: Host name or IP address.
        type: str
        required: true
      port:
        description: TCP port.
        type: int
        required: true
      service:
        description: Mail protocol spoken before and around TLS.
        type: str
        choices: [imap, pop3, smtp]
        default: imap
      mode:
        description: V(implicit) starts TLS at once; V(starttls) upgrades a plain connection.
        type: str
        choices: [implicit, starttls]
        default: implicit
      server_name:
        description: Name for SNI and certificate checks for this endpoint; overrides O(server_name).
        type: str
  protocols:
    description:
      - Protocol versions to try, one handshake each.
    type: list
    elements: str
    choices: [ssl3, tls1_0, tls1_1, tls1_2, tls1_3]
    default: [tls1_0, tls1_1, tls1_2, tls1_3]
  engines:
    description:
      - TLS stacks to use. V(python) is the interpreter running the module (its C(ssl) module and the
        OpenSSL it links); V(openssl) is C(openssl s_client); V(gnutls) is C(gnutls-cli); V(schannel) is
        .NET C(SslStream) over SChannel, the only engine on Windows hosts.
      - Default is every engine present on the host. An engine asked for but missing gives results with
        outcome V(error) and a warning.
    type: list
    elements: str
    choices: [python, openssl, gnutls, schannel]
  retries:
    description:
      - How many times a failed try is repeated (so at most O(retries) + 1 tries per probe).
    type: int
    default: 3
  backoff:
    description:
      - Seconds to wait before the first retry; the wait doubles before each further retry.
    type: float
    default: 1
  total_timeout:
    description:
      - Upper bound in seconds for the whole module call (all endpoints, engines, protocols and retries).
    type: float
    default: 60
  timeout:
    description:
      - Upper bound in seconds for one try (connect, STARTTLS dialogue and handshake).
    type: float
    default: 10
  validate_certs:
    description:
      - Verify the server certificate and host name. A certificate failure is reported as a client-side
        refusal.
    type: bool
    default: true
  ca_path:
    description:
      - CA bundle file (or, for the openssl and python engines, a hashed CA directory) to trust instead of
        the system store.
    type: path
  server_name:
    description:
      - Name to send as SNI and to check the certificate against, for all endpoints. Default is the
        endpoint host.
    type: str
  openssl_conf:
    description:
      - Run the V(python) and V(openssl) engines with C(OPENSSL_CONF) set to this file, to test a
        candidate OpenSSL configuration before it is installed.
    type: path
  gnutls_priority_file:
    description:
      - Run the V(gnutls) engine with C(GNUTLS_SYSTEM_PRIORITY_FILE) set to this file, to test a
        candidate GnuTLS system configuration. A file that does not exist is allowed (GnuTLS then applies
        no system overrides, as it does on a host without the file).
    type: path
  clients:
    description:
      - Mail clients to verify through their own settings, after a change such as
        M(mailtls.remediation.mail_client_tls). Each client gets one handshake per endpoint with its TLS
        library and its own protocol bounds, without per-version isolation, using C(openssl s_client -min_protocol
        -max_protocol), Python C(ssl) with C(minimum_version)/C(maximum_version), or C(gnutls-cli) with a
        priority narrowed to the bounds (or the client's own priority string). O(openssl_conf) and
        O(gnutls_priority_file) apply, so the system policy still has its say.
      - A client passes when it negotiates TLS 1.2 or newer with every endpoint (RV(client_summary[].ok)).
      - Give either O(clients[].path) (the bounds and library are read from that configuration file, one probe
        per account in it) or O(clients[].library) with the bounds.
      - With clients, O(protocols) may be empty to skip the per-version probes of the system stacks.
    type: list
    elements: dict
    suboptions:
      name:
        description: Label of the client in the results.
        type: str
        required: true
      path:
        description: The client's configuration file; its own bounds and the library it links are read from it.
        type: path
      library:
        description: TLS library the client uses (V(python) for clients written in Python). Ignored with O(clients[].path).
        type: str
        choices: [openssl, gnutls, python]
      min_protocol:
        description: Lowest protocol the client's settings allow. Ignored with O(clients[].path).
        type: str
        choices: [ssl3, tls1_0, tls1_1, tls1_2, tls1_3]
      max_protocol:
        description: Highest protocol the client's settings allow. Ignored with O(clients[].path).
        type: str
        choices: [ssl3, tls1_0, tls1_1, tls1_2, tls1_3]
      priority:
        description: GnuTLS priority string the client sets itself (for example msmtp C(tls_priorities)).
        type: str
extends_documentation_fragment:
  - mailtls.remediation.attributes
  - mailtls.remediation.attributes.dual_platform
  - mailtls.remediation.attributes.bytecode_cache
attributes:
  check_mode:
    support: full
    description: The module only reads; it runs the same probes in check mode.
  diff_mode:
    description: No diff is produced.
    support: none
  platform:
    support: full
    description:
      - Linux runs the Python module; Windows runs tls_probe.ps1, which adds a V(default) protocol entry
        per endpoint (the OS default) and ignores O(ca_path).
    platforms: [posix, windows]
notes:
  - Network traffic goes only to the listed endpoints. Each engine runs in its own process, so a hung
    handshake is killed after O(timeout).
  - The V(python) engine reports what the interpreter running the module allows; upstream Python 3.10
    and newer refuse TLS 1.0 and 1.1 on their own (C(no protocols available)), while some
    distribution builds follow the OpenSSL configuration instead.
  - On OpenSSL 3 builds without SSL 3.0 (most distributions), V(ssl3) is refused locally.
seealso:
  - module: mailtls.remediation.system_tls
  - module: mailtls.remediation.tls_facts
'''

EXAMPLES = r'''
- name: Can this host still reach Exchange Online, and with which protocols?
  mailtls.remediation.tls_probe:
  register: probe

- name: Fail when TLS 1.2 does not work with every endpoint
  ansible.builtin.assert:
    that: probe.summary | map(attribute='tls12_ok') | select('equalto', false) | list | length == 0

- name: Check a candidate OpenSSL configuration against a TLS 1.0-only test server
  mailtls.remediation.tls_probe:
    endpoints:
      - host: 127.0.0.1
        port: 11993
        service: imap
        mode: implicit
    protocols: [tls1_0, tls1_2]
    engines: [openssl]
    openssl_conf: /tmp/candidate-openssl.cnf
    validate_certs: false
    retries: 0

- name: SMTP submission with STARTTLS, GnuTLS only, short budget
  mailtls.remediation.tls_probe:
    endpoints:
      - host: smtp.office365.com
        port: 587
        service: smtp
        mode: starttls
    engines: [gnutls]
    total_timeout: 20
'''

RETURN = r'''
results:
  description: One entry per endpoint x engine x protocol.
  returned: always
  type: list
  elements: dict
  contains:
    host:
      description: Endpoint host.
      type: str
      sample: outlook.office365.com
    port:
      description: Endpoint port.
      type: int
      sample: 993
    service:
      description: Mail protocol.
      type: str
      sample: imap
    mode:
      description: V(implicit) or V(starttls).
      type: str
      sample: implicit
    engine:
      description: TLS stack used.
      type: str
      sample: openssl
    protocol:
      description: Protocol version tried.
      type: str
      sample: tls1_2
    outcome:
      description:
        - V(success) (a handshake completed with that version), V(failure) (every try was refused),
          V(intermittent) (some tries succeeded, others failed) or V(error) (no TLS conversation took
          place, for example a timeout, a refused connection, a missing engine or an exhausted
          O(total_timeout)).
      type: str
      sample: success
    negotiated_protocol:
      description: Version negotiated by the last successful try.
      type: str
      sample: tls1_2
    cipher:
      description: Cipher (suite) of the last successful try, as the engine names it.
      type: str
      sample: ECDHE-RSA-AES256-GCM-SHA384
    failure:
      description: Exact failure text of the last failed try, as the engine reported it.
      type: str
      sample: "no protocols available (...:error:0A0000BF:SSL routines:tls_setup_handshake:no protocols available:...)"
    refused_by:
      description:
        - Who ended the last failed try. V(local_policy) means the client could not even offer the
          version (for example C(no protocols available), a minimum above the maximum, or GnuTLS
          C(No or insufficient priorities were set)); V(server) means an alert, a hang-up or a refused
          STARTTLS from the server; V(client) means the client rejected what the server chose (version,
          cipher, signature or certificate); V(network), V(engine) or V(unknown) otherwise.
      type: str
      sample: local_policy
    reason:
      description: Short machine-readable cause, for example V(protocol_version), V(no_protocols_available),
        V(cipher_or_signature), V(certificate), V(connection_closed), V(timeout), V(starttls); on Windows
        V(dotnet_without_tls13) when the .NET Framework has no TLS 1.3 member and TLS 1.3 was not tried.
      type: str
      sample: protocol_version
    attempts:
      description: Every try, at most O(retries) + 1, with its timing.
      type: list
      elements: dict
      sample:
        - attempt: 1
          start: 0.002
          duration: 0.041
          status: failure
          failure: "tlsv1 alert protocol version (...)"
          refused_by: server
          reason: protocol_version
    attempt_count:
      description: Number of tries made.
      type: int
      sample: 1
    command:
      description: The command line (or, for Python, the interpreter and options) of the last try.
      type: str
      sample: "/usr/bin/openssl s_client -connect outlook.office365.com:993 -brief -no_ign_eof -no_ssl3 -no_tls1 -no_tls1_1 -no_tls1_3 ..."
    priority:
      description: GnuTLS priority string used (gnutls engine only).
      type: str
      sample: "NORMAL:-VERS-ALL:+VERS-TLS1.2"
    library:
      description: OpenSSL version the Python engine is linked against (python engine only).
      type: str
      sample: OpenSSL 3.0.19 27 Jan 2026
summary:
  description: One entry per endpoint.
  returned: always
  type: list
  elements: dict
  contains:
    endpoint:
      description: Readable endpoint label.
      type: str
      sample: "imap://outlook.office365.com:993 (implicit)"
    tls12_ok:
      description: True when at least one engine completed a TLS 1.2 handshake (success or intermittent);
        null when TLS 1.2 was not probed.
      type: bool
      sample: true
    tls12_engines:
      description: Engines that completed TLS 1.2.
      type: list
      elements: str
      sample: [openssl, python]
    tls13_ok:
      description: As RV(summary[].tls12_ok) for TLS 1.3.
      type: bool
      sample: true
    tls13_engines:
      description: Engines that completed TLS 1.3.
      type: list
      elements: str
      sample: [openssl]
    legacy_accepted:
      description: True when any engine completed an SSL 3.0, TLS 1.0 or TLS 1.1 handshake.
      type: bool
      sample: false
    legacy_accepted_by:
      description: C(engine:protocol) pairs that completed a legacy handshake.
      type: list
      elements: str
      sample: ["gnutls:tls1_0"]
    intermittent:
      description: C(engine:protocol) pairs whose tries disagreed.
      type: list
      elements: str
      sample: []
    errors:
      description: C(engine:protocol) pairs with outcome V(error).
      type: list
      elements: str
      sample: []
    verdict:
      description: V(ok), V(legacy_accepted), V(no_modern_tls), V(legacy_refused) (TLS 1.2/1.3 not probed)
        or V(unreachable).
      type: str
      sample: ok
    message:
      description: The verdict in words.
      type: str
      sample: TLS 1.2 or newer works (tls1_2:openssl) and no legacy protocol was negotiated
probe_process:
  description:
    - Windows only. V(child) when the probes ran in a fresh C(powershell.exe) (no TLS session or credential
      cached by the task's own process can mask a refusal), V(in-process) when no child could be started
      and the probes ran in the task's process (a warning says so).
  returned: on Windows
  type: str
  sample: child
client_results:
  description: One entry per client (account) x endpoint when O(clients) is given, with RV(results) keys plus C(client),
    C(library), C(min_protocol), C(max_protocol), C(path) and C(ok) (TLS 1.2 or newer negotiated).
  returned: when O(clients) is given
  type: list
  elements: dict
  sample:
    - client: "fetchmail:mail.example.org"
      library: openssl
      min_protocol: tls1_2
      max_protocol: null
      path: /home/alice/.fetchmailrc
      host: outlook.office365.com
      port: 993
      service: imap
      mode: implicit
      engine: openssl
      outcome: success
      negotiated_protocol: tls1_2
      ok: true
      command: "/usr/bin/openssl s_client -connect outlook.office365.com:993 -brief -no_ign_eof -min_protocol TLSv1.2 ..."
client_summary:
  description: One entry per client (account) when O(clients) is given.
  returned: when O(clients) is given
  type: list
  elements: dict
  contains:
    client:
      description: The client label (with the account for O(clients[].path) entries).
      type: str
      sample: "fetchmail:127.0.0.1"
    ok:
      description: True when the client negotiated TLS 1.2 or newer with every endpoint; false when an endpoint refused
        it or it negotiated less; null when nothing was proven (no TLS conversation took place, for example an unreachable
        endpoint, or no engine speaks for its library, such as NSS).
      type: bool
      sample: false
    failing:
      description: Endpoints where it did not, with the reason.
      type: list
      elements: str
      sample: ["imap://127.0.0.1:10993 (implicit): tlsv1 alert protocol version (...)"]
engines:
  description: Engines used.
  returned: always
  type: list
  elements: str
  sample: [python, openssl, gnutls]
elapsed:
  description: Seconds the probes took.
  returned: always
  type: float
  sample: 2.41
'''

import os

from ansible.module_utils.basic import AnsibleModule
# Compiled once per host and kept (see _bytecode_cache): must come before the other module_utils.
from ansible_collections.mailtls.remediation.plugins.module_utils import _bytecode_cache  # noqa: F401  pylint: disable=unused-import

from ansible_collections.mailtls.remediation.plugins.module_utils import _probe

# Clients written in Python negotiate through the interpreter's ssl module.
_PYTHON_CLIENTS = ('offlineimap', 'getmail')


def clients_from_path(name, path):
    """Probe entries for every account of a client configuration file: its library and its own bounds.

    Returns (entries, problems); problems are (name, reason) for files or libraries that cannot be probed.
    """
    from ansible_collections.mailtls.remediation.plugins.module_utils import _clients
    from ansible_collections.mailtls.remediation.plugins.module_utils import _mail_clients
    from ansible_collections.mailtls.remediation.plugins.module_utils._atomic import read_file

    entries, problems = [], []
    for target in _mail_clients.targets_for_paths([path]):
        client = _clients.client_of(target['format']) if target['format'] else None
        read = read_file(target['path'])
        if client is None or read.data is None:
            problems.append((name, '%s: %s' % (target['path'], read.error or 'not a mail client configuration this collection reads')))
            continue
        parsed = _clients.parse(target['format'], _clients.decode(read.data), _mail_clients.remediation_context())
        if not parsed.ok:
            problems.append((name, '%s: %s' % (target['path'], '; '.join(parsed.errors))))
            continue
        library = 'python' if client in _PYTHON_CLIENTS else _mail_clients.Toolbox().info(client).get('library')
        for account in parsed.entries:
            label = '%s:%s' % (name, account.get('name')) if account.get('name') else name
            if library not in _probe.CLIENT_LIBRARIES:
                problems.append((label, '%s uses %s, which no probe engine on this host speaks' % (client, library or 'an unknown library')))
                continue
            low, high = _probe.bounds_from_versions(dict((p, v[0]) for p, v in account['versions'].items()))
            entry = {'name': label, 'library': library, 'min_protocol': low, 'max_protocol': high, 'path': target['path'],
                     'client': client, 'priority': (account.get('settings') or {}).get('tls_priorities')}
            if low is None and high is None and all(v[0] == 'off' for v in account['versions'].values()):
                problems.append((label, 'its settings leave no protocol enabled'))
                continue
            entries.append(entry)
    return entries, problems


def main():
    module = AnsibleModule(
        argument_spec=dict(
            endpoints=dict(type='list', elements='dict', options=dict(
                host=dict(type='str', required=True),
                port=dict(type='int', required=True),
                service=dict(type='str', choices=list(_probe.SERVICES), default='imap'),
                mode=dict(type='str', choices=list(_probe.MODES), default='implicit'),
                server_name=dict(type='str'),
            )),
            protocols=dict(type='list', elements='str', choices=list(_probe.PROTOCOLS), default=list(_probe.DEFAULT_PROTOCOLS)),
            engines=dict(type='list', elements='str', choices=list(_probe.ENGINES) + ['schannel']),
            retries=dict(type='int', default=3),
            backoff=dict(type='float', default=1),
            total_timeout=dict(type='float', default=60),
            timeout=dict(type='float', default=10),
            validate_certs=dict(type='bool', default=True),
            ca_path=dict(type='path'),
            server_name=dict(type='str'),
            openssl_conf=dict(type='path'),
            gnutls_priority_file=dict(type='path'),
            clients=dict(type='list', elements='dict', options=dict(
                name=dict(type='str', required=True),
                path=dict(type='path'),
                library=dict(type='str', choices=list(_probe.CLIENT_LIBRARIES)),
                min_protocol=dict(type='str', choices=list(_probe.PROTOCOLS)),
                max_protocol=dict(type='str', choices=list(_probe.PROTOCOLS)),
                priority=dict(type='str'),
            )),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not 0 <= params['retries'] <= _probe.MAX_RETRIES:
        module.fail_json(msg='retries must be between 0 and %d' % _probe.MAX_RETRIES)
    if params['backoff'] < 0 or params['backoff'] > 300:
        module.fail_json(msg='backoff must be between 0 and 300 seconds')
    if not 0 < params['timeout'] <= 600:
        module.fail_json(msg='timeout must be more than 0 and at most 600 seconds')
    if not 0 < params['total_timeout'] <= 3600:
        module.fail_json(msg='total_timeout must be more than 0 and at most 3600 seconds')
    for key in ('ca_path', 'openssl_conf'):
        if params[key] and not os.path.exists(params[key]):
            module.fail_json(msg='%s %s does not exist' % (key, params[key]))
    # A missing GnuTLS system file means no overrides, for the library too: probing with it is meaningful.
    try:
        endpoints = _probe.normalize_endpoints(params['endpoints'])
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    settings = _probe.ProbeSettings(
        validate_certs=params['validate_certs'], ca_path=params['ca_path'], server_name=params['server_name'],
        timeout=params['timeout'], retries=params['retries'], backoff=params['backoff'],
        total_timeout=params['total_timeout'], openssl_conf=params['openssl_conf'],
        gnutls_priority_file=params['gnutls_priority_file'],
    )
    present = _probe.available_engines(settings)
    engines = params['engines'] or present
    protocols = []
    for protocol in params['protocols']:
        if protocol not in protocols:
            protocols.append(protocol)
    missing = [engine for engine in engines if engine not in present]
    for engine in missing:
        module.warn('engine %s is not available on this host (%s not found)' % (
            engine, {'openssl': 'openssl', 'gnutls': 'gnutls-cli', 'python': 'a Python interpreter', 'schannel': 'SChannel exists on Windows only'}[engine]))
    usable = [engine for engine in engines if engine in present]

    client_entries, client_problems = [], []
    for item in params['clients'] or []:
        if item['path']:
            try:
                found, problems = clients_from_path(item['name'], item['path'])
            except Exception as exc:  # a client file the parsers cannot handle must fail its verify, not the module
                found, problems = [], [(item['name'], '%s: cannot read its settings (%s: %s)' % (item['path'], type(exc).__name__, exc))]
            client_entries.extend(found)
            client_problems.extend(problems)
        elif not item['library']:
            module.fail_json(msg='clients entry %s needs a path or a library' % item['name'])
        else:
            client_entries.append(item)
    try:
        client_entries = _probe.normalize_clients(client_entries)
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    results, summaries, elapsed = _probe.run_probes(endpoints, protocols, usable, settings) if protocols else ([], [], 0.0)
    for engine in missing:
        for endpoint in endpoints:
            for protocol in protocols:
                results.append({
                    'host': endpoint['host'], 'port': endpoint['port'], 'service': endpoint['service'], 'mode': endpoint['mode'],
                    'engine': engine, 'protocol': protocol, 'outcome': _probe.ERROR, 'negotiated_protocol': None, 'cipher': None,
                    'failure': 'engine %s is not available on this host' % engine, 'refused_by': 'engine',
                    'reason': 'engine_missing', 'attempts': [], 'attempt_count': 0,
                })
    if missing:
        summaries = [_probe.summarize_endpoint(endpoint, results) for endpoint in endpoints]
    extra = {}
    if params['clients'] is not None:
        client_results, client_summary = _probe.run_client_probes(client_entries, endpoints, settings)
        for label, reason in client_problems:
            client_summary.append({'client': label, 'library': None, 'path': None, 'min_protocol': None, 'max_protocol': None,
                                   'ok': None if 'no probe engine' in reason else False, 'failing': [reason], 'negotiated': []})
        extra = {'client_results': client_results, 'client_summary': client_summary}
    module.exit_json(changed=False, results=results, summary=summaries, engines=usable, elapsed=elapsed, **extra)


if __name__ == '__main__':
    main()
