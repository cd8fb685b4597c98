# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: what one client of the posture does against one server.

``predict_session(client_entry, server)``

``client_entry``
    one client record of the posture (``document['clients'][i]``): its
    ``protocols`` decisions and structured ``conditions``
    (``{'tls1_0': [{'kx': ['rsa']}]}``).
``server``
    ``{'protocols': ['tls1_0'] or ['tls1_2', 'tls1_3'], 'kx': 'rsa' | 'ecdhe'}``:
    the versions the server accepts and the key exchange of its cipher suites.

Returns ``{'result': 'connected' | 'failed' | 'unknown', 'protocol': 'tls1_2' | ... | None, 'why': text}``.

TLS negotiation gives the highest version both sides allow; a version the
client allows only under a key exchange condition counts only when the
server's key exchange meets it.  A client whose decision for the version the
server would pick is ``unknown`` gives ``unknown``.  A client without TLS
(``protocols`` missing) never completes a TLS session.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailtls.remediation.plugins.module_utils._clients._base import PROTOS, rank


def _meets(conditions, server):
    for cond in conditions or []:
        kx = cond.get('kx')
        if kx and server.get('kx') not in kx:
            return False
    return True


def predict_session(client_entry, server):
    protocols = client_entry.get('protocols')
    if not protocols:
        return {'result': 'failed', 'protocol': None, 'why': 'the client does not use TLS'}
    offered = sorted((p for p in server.get('protocols') or [] if p in PROTOS), key=rank, reverse=True)
    conditions = client_entry.get('conditions') or {}
    for proto in offered:
        state = protocols.get(proto, {}).get('state', 'unknown')
        if state == 'refused':
            continue
        if state == 'unknown':
            return {'result': 'unknown', 'protocol': None, 'why': 'whether the client allows %s is not determined' % proto}
        if not _meets(conditions.get(proto), server):
            continue
        return {'result': 'connected', 'protocol': proto, 'why': protocols[proto].get('reason', '')}
    return {'result': 'failed', 'protocol': None,
            'why': 'no version the server accepts (%s) is allowed by the client with %s key exchange'
                   % (', '.join(offered) or 'none', server.get('kx') or 'any')}
