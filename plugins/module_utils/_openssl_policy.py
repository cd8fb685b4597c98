# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: what an OpenSSL client on this host will negotiate, and why.

Pure functions: the configuration reader hands over the settings in force,
the gatherer hands over the library version, the built-in security level and
the distribution; ``decide()`` returns one decision per protocol with the
evidence that settled it.  The facts behind the rules (section numbers refer to
the project's Linux reference):

* MinProtocol/MaxProtocol exist from OpenSSL 1.1.0; TLS 1.2 from 1.0.1;
  TLS 1.3 from 1.1.1.
* On OpenSSL 3, TLS 1.0/1.1 with ECDHE/DHE need SHA-1 or MD5-SHA1 signatures,
  which security level 1 and above refuse; RSA key exchange (kRSA) signs
  nothing, so it still connects at levels 1 and 2.  Level 3 refuses both.
* Debian builds with OPENSSL_TLS_SECURITY_LEVEL=2 and has no system_default
  section, so a stock Debian 12 client still connects over TLS 1.0 to a kRSA
  server.  Ubuntu patches level 2 to refuse TLS < 1.2.
* SSL 3.0 is not built into OpenSSL 1.1.0 and later by default.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.mailtls.remediation.plugins.module_utils._posture import (
    PROTOCOLS,
    PROTOCOL_LABELS,
    decision,
    evidence,
    protocol_rank,
)

_VERSION_RE = re.compile(r'(\d+)\.(\d+)\.(\d+)([a-z]*)')


def parse_version(text):
    """``'OpenSSL 1.0.2k-fips  26 Jan 2017'`` -> ``(1, 0, 2)``; None when unreadable."""
    if not text:
        return None
    match = _VERSION_RE.search(text)
    if not match:
        return None
    return tuple(int(part) for part in match.groups()[:3])


def upstream_default_seclevel(version):
    """The security level an unpatched build uses when nothing sets one."""
    if version is None or version < (1, 1, 0):
        return None
    if version >= (3, 2, 0):
        return 2
    return 1


def excludes_krsa(cipher_string):
    """True when the cipher string removes RSA key exchange (``!kRSA``, ``-kRSA``, ``!RSA``)."""
    if not cipher_string:
        return False
    tokens = re.split(r'[:, ]+', cipher_string)
    return any(t.upper() in ('!KRSA', '-KRSA', '!RSA', '-RSA') for t in tokens)


def selects_no_cipher(cipher_string):
    """True when a cipher string adds no cipher suite at all (``None``: a word that matches nothing).

    OpenSSL then keeps an empty list for TLS 1.2 and below, so only TLS 1.3 (configured by
    ``Ciphersuites``) can still be negotiated.
    """
    if not cipher_string:
        return False
    added = [t for t in re.split(r'[:, ]+', cipher_string.strip()) if t and t[0] not in '!-+@']
    return bool(added) and all(t.lower() == 'none' for t in added)


def _setting_evidence(setting, note=None):
    return evidence('file', path=setting.get('path'), line=setting.get('line'), section=setting.get('section'),
                    key=setting.get('key'), value=setting.get('value'), note=note)


def decide(version, settings, builtin_seclevel=None, builtin_seclevel_source=None, distro=None):
    """Decide every protocol for OpenSSL clients.

    ``settings``: dict with optional entries ``min``, ``max`` (each a dict with
    ``id`` (protocol id), ``path``, ``line``, ``section``, ``key``, ``value``),
    ``seclevel`` (same plus ``level``), ``cipher_string`` (same plus
    ``value``), ``disabled`` (protocol ids removed by a ``Protocol`` line, each
    with evidence fields), and ``ignored_reason`` when OpenSSL will not apply
    the file at all (then the other entries are ignored).
    ``distro``: dict with ``id`` and ``like`` (list) from os-release.
    Returns (decisions dict, facts dict).
    """
    settings = dict(settings or {})
    distro = distro or {}
    decisions = {}
    facts = {}
    ignored = settings.get('ignored_reason')
    base_evidence = []
    if ignored:
        base_evidence.append(evidence('file', path=settings.get('config_path'),
                                      note='OpenSSL does not apply this configuration: %s' % ignored))
        settings = {}
    elif not any(settings.get(k) for k in ('min', 'max', 'seclevel', 'disabled')):
        note = 'no system_default MinProtocol/MaxProtocol/@SECLEVEL in force: library defaults apply'
        if settings.get('unconfigured_note'):
            note = '%s: %s' % (settings['unconfigured_note'], note)
        base_evidence.append(evidence('default', path=settings.get('config_path'), note=note))

    if settings.get('seclevel'):
        level = settings['seclevel']['level']
        level_evidence = _setting_evidence(settings['seclevel'])
    elif builtin_seclevel is not None:
        level = builtin_seclevel
        level_evidence = evidence('build', key='OPENSSL_TLS_SECURITY_LEVEL', value=builtin_seclevel,
                                  note=builtin_seclevel_source or 'compiled-in default security level')
    else:
        level = upstream_default_seclevel(version)
        level_evidence = evidence('default', key='security level', value=level,
                                  note='upstream default for this OpenSSL version') if level is not None else None
    facts['security_level'] = level
    cipher = (settings.get('cipher_string') or {}).get('value')
    facts['cipher_string'] = cipher
    distro_ids = [distro.get('id') or ''] + list(distro.get('like') or [])
    ubuntu_patch = 'ubuntu' in distro_ids and version is not None and version >= (1, 1, 1)
    facts['ubuntu_seclevel_patch'] = ubuntu_patch

    min_s, max_s = settings.get('min'), settings.get('max')
    disabled = settings.get('disabled') or {}

    for proto in PROTOCOLS:
        decisions[proto] = _decide_one(proto, version, min_s, max_s, disabled, level, level_evidence,
                                       cipher, settings.get('cipher_string'), ubuntu_patch, base_evidence)
    facts['tls13_capable'] = version is not None and version >= (1, 1, 1)
    return decisions, facts


def _decide_one(proto, version, min_s, max_s, disabled, level, level_evidence, cipher, cipher_setting, ubuntu_patch, base_evidence):
    label = PROTOCOL_LABELS[proto]
    ev = list(base_evidence)
    if version is None:
        return decision('unknown', 'the OpenSSL version could not be read', ev)
    built_in = {
        'ssl3': version < (1, 1, 0),
        'tls1_0': True,
        'tls1_1': version >= (1, 0, 1),
        'tls1_2': version >= (1, 0, 1),
        'tls1_3': version >= (1, 1, 1),
    }
    if not built_in[proto]:
        if proto == 'ssl3':
            reason = 'OpenSSL 1.1.0 and later are built without SSL 3.0 by default'
        else:
            reason = 'OpenSSL %s does not implement %s' % ('.'.join(str(v) for v in version), label)
        return decision('refused', reason, ev + [evidence('build', key='version', value='.'.join(str(v) for v in version))])
    if min_s and min_s.get('id') and protocol_rank(proto) < protocol_rank(min_s['id']):
        return decision('refused', 'below MinProtocol %s' % min_s.get('value'), ev + [_setting_evidence(min_s)])
    if max_s and max_s.get('id') and protocol_rank(proto) > protocol_rank(max_s['id']):
        return decision('refused', 'above MaxProtocol %s' % max_s.get('value'), ev + [_setting_evidence(max_s)])
    if proto in disabled:
        return decision('refused', 'removed by a Protocol line', ev + [_setting_evidence(disabled[proto])])
    if proto != 'tls1_3' and selects_no_cipher(cipher):
        return decision('refused', 'the cipher string %r selects no cipher suite, so nothing below TLS 1.3 can be negotiated' % cipher,
                        ev + [_setting_evidence(cipher_setting)])
    if proto in ('tls1_2', 'tls1_3'):
        if proto == 'tls1_2' and level is not None and level >= 5 and version >= (3, 0, 0):
            return decision('unknown', 'security level %d may leave no usable TLS 1.2 cipher suites' % level, ev + [level_evidence])
        reason = '%s is enabled' % label
        if min_s or max_s:
            reason += ' within the configured MinProtocol/MaxProtocol'
        else:
            reason += ' by default'
        return decision('allowed', reason, ev)
    if proto == 'ssl3':
        return decision('allowed', 'OpenSSL %s still implements SSL 3.0 and nothing disables it' % '.'.join(str(v) for v in version), ev)
    # TLS 1.0 / 1.1: the security level decides.
    if level_evidence is not None:
        ev.append(level_evidence)
    if level is None:
        return decision('allowed', '%s is enabled and OpenSSL %s has no security levels' % (label, '.'.join(str(v) for v in version)), ev)
    if ubuntu_patch and level >= 2:
        return decision('refused', "Ubuntu's OpenSSL refuses TLS below 1.2 at security level 2 and above (distribution patch)", ev)
    if level >= 3:
        return decision('refused', 'security level %d refuses %s' % (level, label), ev)
    if level == 0:
        return decision('allowed', 'security level 0 allows %s with any cipher suite' % label, ev)
    if version >= (3, 0, 0):
        if excludes_krsa(cipher):
            ev.append(_setting_evidence(cipher_setting, 'the cipher string excludes RSA key exchange'))
            return decision('refused', 'security level %d refuses the SHA-1 signatures %s needs, and RSA key exchange is excluded' % (level, label), ev)
        return decision('allowed',
                        'security level %d does not forbid %s: only the SHA-1 signatures of ECDHE/DHE suites are refused' % (level, label), ev,
                        conditions=['only with RSA key exchange cipher suites (e.g. AES128-SHA); ECDHE and DHE handshakes are refused'])
    if level >= 2:
        return decision('allowed', 'security level %d on OpenSSL 1.1 does not forbid %s' % (level, label), ev,
                        conditions=['servers need a certificate key and suite that meet security level %d' % level])
    return decision('allowed', 'security level %d allows %s' % (level, label), ev)


def min_protocol_supported(version):
    return version is not None and version >= (1, 1, 0)
