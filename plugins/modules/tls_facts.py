#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: tls_facts
short_description: Gather the TLS posture of a host for mail clients
version_added: 0.1.0
description:
  - Returns one posture document per host in C(ansible_facts.mailtls_posture), with the same schema
    (schema version 1, see C(schemas/posture-v1.schema.json) in the collection) on Linux and Windows.
  - For every TLS stack found (OpenSSL, crypto-policies, GnuTLS, NSS, each Java runtime, the system
    Python; on Windows SChannel, .NET, WinHTTP and WinINet) it records, per protocol from SSL 3.0 to
    TLS 1.3, whether the stack allows it, refuses it or cannot tell, and the file, section, key and
    value (or the library default) that decided it.
  - On Linux the OpenSSL configuration chain (C(openssl_conf) -> C(ssl_conf) -> C(system_default),
    including C(.include) files and directories) is followed as OpenSSL does, so a setting that OpenSSL
    silently ignores (a misspelt value, a broken chain, a second C(openssl_conf) line, a syntax error)
    is reported as a finding, because such files fail open.
  - Mail client configurations of every local user are inventoried too (see O(gather)).
  - Findings carry a stable id, a severity, the evidence and the fix; the host verdict is one of
    C(compliant), C(at_risk), C(will_fail) and C(unknown), computed by the same rules on every platform.
  - The module never changes anything.
author:
  - mailtls.remediation contributors (@mailtls)
options:
  gather:
    description:
      - Which parts to gather. Linux parts are V(openssl), V(crypto_policies), V(gnutls), V(nss),
        V(java), V(python) and V(clients); parts that do not apply to a host are skipped.
      - On Windows the SChannel, .NET, WinHTTP and WinINet parts are always read; V(clients) adds the
        installed mail clients (Outlook with version and bitness, Thunderbird installs, profiles and
        policies, the registered mail handlers).
    type: list
    elements: str
    default: [openssl, crypto_policies, gnutls, nss, java, python, clients]
  openssl_conf:
    description:
      - Inventory this OpenSSL configuration file instead of the one OpenSSL uses
        (C(OPENSSL_CONF), else C(OPENSSLDIR/openssl.cnf)). Useful to judge a candidate file.
    type: path
  users:
    description:
      - Only inventory the mail client files of these local users. Default is every user in the
        passwd database. Linux only; Windows reads every local profile.
    type: list
    elements: str
  script_paths:
    description:
      - Directories searched for scripts that pin legacy TLS in code (report only).
    type: list
    elements: path
    default: []
extends_documentation_fragment:
  - mailtls.remediation.attributes
  - mailtls.remediation.attributes.dual_platform
  - mailtls.remediation.attributes.facts
  - mailtls.remediation.tls_policy.gnutls_config
  - mailtls.remediation.attributes.bytecode_cache
attributes:
  check_mode:
    support: full
    description: The module only reads; check mode returns the same facts.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
  facts:
    support: full
    description: The posture is returned as C(ansible_facts.mailtls_posture).
notes:
  - Linux targets need nothing beyond the Python standard library. The C(openssl) command is used
    when present to read the library version, C(OPENSSLDIR) and the compiled-in security level.
  - On Windows the same task name runs a PowerShell reader and the collection's action plugin turns
    its raw registry values into the same document on the controller.
seealso:
  - module: mailtls.remediation.system_tls
  - module: mailtls.remediation.tls_probe
'''

EXAMPLES = r'''
- name: Gather the TLS posture
  mailtls.remediation.tls_facts:

- name: Say what OpenSSL allows and why
  ansible.builtin.debug:
    msg: "{{ ansible_facts.mailtls_posture.stacks | selectattr('id', 'equalto', 'openssl') | map(attribute='protocols') | first }}"

- name: Judge a candidate OpenSSL configuration without installing it
  mailtls.remediation.tls_facts:
    openssl_conf: /root/candidate-openssl.cnf
    gather: [openssl]
'''

RETURN = r'''
ansible_facts:
  description: Facts to add to the host.
  returned: always
  type: dict
  sample: {mailtls_posture: {schema: 1, verdict: {status: compliant, reasons: []}}}
  contains:
    mailtls_posture:
      description:
        - The posture document. C(stacks[].protocols.<ssl3|tls1_0|tls1_1|tls1_2|tls1_3>) holds
          C(state), C(reason), C(evidence) and C(conditions); C(findings) and C(verdict) are computed
          by the collection's rules.
      returned: always
      type: dict
      sample:
        schema: 1
        host: {name: mail01, os_family: linux, distribution: debian}
        stacks:
          - id: openssl
            name: OpenSSL
            version: 3.0.19
            protocols:
              tls1_0:
                state: allowed
                reason: "security level 2 does not forbid TLS 1.0: only the SHA-1 signatures of ECDHE/DHE suites are refused"
                conditions: ["only with RSA key exchange cipher suites (e.g. AES128-SHA); ECDHE and DHE handshakes are refused"]
        verdict: {status: at_risk, reasons: [legacy_protocol_allowed]}
duration_ms:
  description: Time the gathering took on the host, in milliseconds.
  returned: always
  type: float
  sample: 84.2
'''

import time

from ansible.module_utils.basic import AnsibleModule
# Compiled once per host and kept (see _bytecode_cache): must come before the other module_utils.
from ansible_collections.mailtls.remediation.plugins.module_utils import _bytecode_cache  # noqa: F401  pylint: disable=unused-import
from ansible_collections.mailtls.remediation.plugins.module_utils import _linux_system_tls
from ansible_collections.mailtls.remediation.plugins.module_utils import _linux_tls
from ansible_collections.mailtls.remediation.plugins.module_utils import _mail_clients
from ansible_collections.mailtls.remediation.plugins.module_utils._posture import evaluate, new_document


def main():
    module = AnsibleModule(
        argument_spec=dict(
            gather=dict(type='list', elements='str', default=['openssl', 'crypto_policies', 'gnutls', 'nss', 'java', 'python', 'clients']),
            openssl_conf=dict(type='path'),
            gnutls_config=dict(type='path', default='/etc/gnutls/config'),
            users=dict(type='list', elements='str'),
            script_paths=dict(type='list', elements='path', default=[]),
        ),
        supports_check_mode=True,
    )
    started = time.time()
    document = new_document('linux', _linux_tls.hostname())
    _linux_tls.gather_all(document, module.params)
    if 'clients' in module.params['gather']:
        _mail_clients.gather_mail_clients(document, users=module.params['users'], script_paths=module.params['script_paths'])
    evaluate(document)
    # The findings of the system stacks carry the edit system_tls would make (same planner, no validation here).
    _linux_system_tls.attach_posture_plan(document, module.params['openssl_conf'], module.params['gnutls_config'] or '/etc/gnutls/config')
    duration = round((time.time() - started) * 1000.0, 1)
    document['duration_ms'] = duration
    module.exit_json(changed=False, ansible_facts={'mailtls_posture': document}, duration_ms=duration)


if __name__ == '__main__':
    main()
