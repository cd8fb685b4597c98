# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the one decision per mail client entry.

``decide(entry, library, stack)`` combines what the client itself enables
(``entry['versions']``, ``entry['bounds']``) with what its TLS library's
system policy allows (the posture stack of that library).  The posture's
client record, its findings, the plan of ``mail_client_tls`` and the
session prediction (``_predict.py``) all come from this result, so the
report, the change plan and the real run cannot disagree.

The rules, each measured against the real programs (see the behaviour
matrix in the tests):

* ``bounds == 'own'``: the program sets its protocol bounds in code
  (fetchmail always, ``curl --tlsv1.x``, Python ``ssl.PROTOCOL_TLSv1``...).
  OpenSSL's ``MinProtocol``/``MaxProtocol`` do not bind it; only what the
  library cannot do at all does: the security level and cipher string (on
  OpenSSL 3, TLS 1.0/1.1 at security level 1 or 2 works only with RSA key
  exchange, since the SHA-1 signatures ECDHE needs are refused).  For GnuTLS
  only ``[overrides] disabled-version`` binds a program's own priority string.
* ``bounds == 'library'``: the system policy decides; the client's own
  settings can only take versions away.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailtls.remediation.plugins.module_utils import _posture
from ansible_collections.mailtls.remediation.plugins.module_utils import _openssl_policy
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._base import PROTOS, LABELS, below

LIBRARY_LABELS = {'openssl': 'OpenSSL', 'gnutls': 'GnuTLS', 'nss': 'NSS', 'schannel': 'SChannel'}


def _gnutls_binding(stack):
    """GnuTLS [overrides] disabled-version binds every application; a default priority does not."""
    for proto in PROTOS:
        dec = stack['protocols'][proto]
        if 'disabled-version' in dec.get('reason', '') or 'enabled-version' in dec.get('reason', '') \
                or any('disabled-version' in str(ev.get('key', '')) for ev in dec.get('evidence', [])):
            return True
    return False


def _openssl_version(stack):
    return _openssl_policy.parse_version(stack.get('version') or '') if stack.get('version') else None


def _openssl_kx(stack, proto):
    """Key exchanges an OpenSSL client can use for ``proto`` at the stack's security level; None = any."""
    if proto not in ('tls1_0', 'tls1_1'):
        return None
    details = stack.get('details') or {}
    level = details.get('security_level')
    version = _openssl_version(stack)
    if version is None or version < (3, 0, 0) or level is None or level < 1:
        return None
    return ['rsa']


def _openssl_own(stack, proto):
    """What OpenSSL lets a program that sets its own bounds do: the stack without MinProtocol/MaxProtocol."""
    details = stack.get('details') or {}
    version = _openssl_version(stack)
    level = details.get('security_level')
    cipher = details.get('cipher_string')
    return _openssl_policy._decide_one(proto, version, None, None, {}, level, None, cipher, None,
                                       bool(details.get('ubuntu_seclevel_patch')), [])


def _stack_pointer(stack, proto):
    """Evidence that points at the stack's own decision (kept once in the document, not copied into every client)."""
    return [_posture.evidence('policy', key='stack', value=stack.get('id'), note='stacks[id=%s].protocols.%s' % (stack.get('id'), proto))]


def library_view(entry, library, stack, proto):
    """(state, reason, evidence, kx) the library gives this entry for ``proto``."""
    label = LIBRARY_LABELS.get(library, library or 'its TLS library')
    bounds = entry.get('bounds') or 'library'
    if stack is None:
        return None
    sdec = dict(stack['protocols'][proto], evidence=_stack_pointer(stack, proto))
    if library == 'openssl':
        if bounds == 'own':
            if entry.get('security_level') is not None:
                # the program also sets its own security level and cipher list (Postfix: its cipher grades)
                stack = dict(stack, details=dict(stack.get('details') or {}, security_level=entry['security_level'], cipher_string=None))
            own = _openssl_own(stack, proto)
            if sdec['state'] == 'refused' and own['state'] == 'allowed':
                reason = '%s sets its own protocol bounds, which override the OpenSSL system policy (%s)' % (entry.get('program', 'the client'), sdec['reason'])
            else:
                reason = 'OpenSSL: %s' % own['reason']
            return own['state'], reason, list(sdec.get('evidence', [])), _openssl_kx(stack, proto) if own['state'] == 'allowed' else None
        return sdec['state'], 'OpenSSL system policy: %s' % sdec['reason'], list(sdec.get('evidence', [])), \
            _openssl_kx(stack, proto) if sdec['state'] == 'allowed' else None
    if library == 'gnutls':
        if bounds == 'own' and sdec['state'] == 'refused' and not _gnutls_binding(stack):
            return 'allowed', 'its own GnuTLS priority string overrides the system default priorities (%s)' % sdec['reason'], \
                list(sdec.get('evidence', [])), None
        return sdec['state'], '%s: %s' % (label, sdec['reason']), list(sdec.get('evidence', [])), None
    if bounds == 'own' and sdec['state'] == 'refused':
        return 'allowed', 'its own settings override the %s default (%s)' % (label, sdec['reason']), list(sdec.get('evidence', [])), None
    return sdec['state'], '%s: %s' % (label, sdec['reason']), list(sdec.get('evidence', [])), None


def _client_evidence(path, reason, evs):
    out = []
    for item in evs:
        if item.get('line') or item.get('key'):
            out.append(_posture.evidence('file', path=path, line=item.get('line'), key=item.get('key'), value=item.get('value'), note=item.get('note')))
        else:
            out.append(_posture.evidence('default', note=reason))
    return out or [_posture.evidence('default', path=path, note=reason)]


def decide(entry, library, stack, path, minimum='tls1_2'):
    """The decision for one entry: protocols (posture decisions), structured conditions, bounds and whether to change it.

    Returns ``{'protocols': {proto: decision}, 'conditions': {proto: [{'kx': [...]}]}, 'bounds': 'own'|'library'|None,
    'legacy': [protos allowed below TLS 1.2], 'modern': bool, 'change': bool, 'why': str}``.
    """
    label = LIBRARY_LABELS.get(library, library or 'its TLS library')
    if entry.get('plain'):
        return {'protocols': None, 'conditions': {}, 'bounds': None, 'legacy': [], 'modern': False, 'change': False,
                'why': 'no TLS'}
    bounds = entry.get('bounds') or 'library'
    protocols = {}
    conditions = {}
    for proto in PROTOS:
        state, reason, evs = entry['versions'][proto]
        ev = _client_evidence(path, reason, evs)
        if state == 'off':
            protocols[proto] = _posture.decision('refused', 'the client refuses it: %s' % reason, ev)
            continue
        if state == 'unknown':
            protocols[proto] = _posture.decision('unknown', reason, ev)
            continue
        view = library_view(entry, library, stack, proto)
        if view is None:
            if state == 'on' and bounds == 'own':
                protocols[proto] = _posture.decision('allowed', '%s; the client sets its own bounds (%s not inventoried)' % (reason, label), ev)
            elif state == 'on':
                protocols[proto] = _posture.decision('allowed', '%s; the %s system policy was not inventoried' % (reason, label), ev,
                                                     ['unless the system policy of %s refuses it' % label])
            else:
                protocols[proto] = _posture.decision('unknown', 'left to %s (%s), whose system policy was not inventoried' % (label, reason), ev)
            continue
        lstate, lreason, lev, kx = view
        text = []
        if lstate == 'unknown' and state == 'on':
            # the client asks for it explicitly; only a system policy we could not read may still refuse it
            lstate = 'allowed'
            text.append('unless the %s system policy refuses it (not determined: %s)' % (label, lreason))
        if kx:
            conditions[proto] = [{'kx': list(kx)}]
            level = (stack.get('details') or {}).get('security_level')
            text.append('only with %s key exchange: at security level %s OpenSSL 3 refuses the SHA-1 signatures that ECDHE/DHE need in %s'
                        % ('/'.join(k.upper() for k in kx), level, LABELS[proto]))
        protocols[proto] = _posture.decision(lstate, '%s; %s' % (reason, lreason), ev + lev, text)
    legacy = [p for p in PROTOS if below(p, minimum) and protocols[p]['state'] == 'allowed']
    modern = any(protocols[p]['state'] == 'allowed' for p in PROTOS if not below(p, minimum))
    undetermined = all(protocols[p]['state'] == 'unknown' for p in PROTOS if not below(p, minimum))
    change = bool(legacy) or (not modern and not undetermined)
    if legacy:
        why = 'negotiates %s%s' % (', '.join(LABELS[p] for p in legacy), ' whatever the system policy says' if bounds == 'own' else '')
    elif not modern and not undetermined:
        why = 'can negotiate nothing from %s up' % LABELS[minimum]
    else:
        why = 'compliant'
    return {'protocols': protocols, 'conditions': conditions, 'bounds': bounds, 'legacy': legacy, 'modern': modern,
            'change': change, 'why': why}


def needs_change(entry, options):
    """Plan-time test used by every client's ``plan``: the shared decision when one was made, else the client's own settings."""
    decisions = options.get('decisions')
    if decisions is not None and entry.get('key') in decisions:
        return decisions[entry['key']]
    minimum = options.get('min_protocol', 'tls1_2')
    if entry.get('plain'):
        return False
    states = entry['versions']
    weak = any(states[p][0] in ('on', 'lib') for p in PROTOS if below(p, minimum))
    modern = any(states[p][0] in ('on', 'lib') for p in PROTOS if not below(p, minimum))
    return weak or not modern
