# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The installed programs are asked about themselves only when a configuration of theirs needs it."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import pwd
import shutil

from ansible_collections.mailtls.remediation.plugins.module_utils import _clients as cl
from ansible_collections.mailtls.remediation.plugins.module_utils import _mail_clients as mc
from ansible_collections.mailtls.remediation.plugins.module_utils import _posture

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'data', 'mail_clients')


class RecordingToolbox(mc.Toolbox):
    """Every client looks installed; every command it would start is recorded, none is run."""

    def __init__(self):
        self.asked = []
        super(RecordingToolbox, self).__init__(runner=self._record, which=lambda name: '/usr/bin/%s' % name)

    def _record(self, argv, timeout=5):
        self.asked.append(list(argv))
        return None

    def programs(self):
        return sorted(set(os.path.basename(argv[-1] if argv[0] == 'ldd' else argv[0]) for argv in self.asked))


def _user(tmp_path, files):
    home = tmp_path / 'home' / 'alice'
    for name, content in files.items():
        target = home / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if content.startswith('@'):
            shutil.copy(os.path.join(DATA, content[1:]), str(target))
        else:
            target.write_text(content)
    return [pwd.struct_passwd(('alice', 'x', os.getuid(), os.getgid(), '', str(home), '/bin/sh'))]


def _gather(passwd, toolbox):
    document = _posture.new_document('linux', 'h')
    mc.gather_mail_clients(document, passwd_entries=passwd, toolbox=toolbox, include_system=False)
    return document


def test_every_context_key_is_named_after_the_client_that_provides_it():
    toolbox = mc.Toolbox(runner=lambda argv, timeout=5: 'mutt 2.2.12\n+USE_SSL_GNUTLS\nmsmtp version 1.8.23\nisync 1.4.4\n',
                         which=lambda name: '/usr/bin/%s' % name)
    providers = [d for d in cl.DESCRIPTORS if d.context is not None]
    assert providers
    for desc in providers:
        keys = list(desc.context(toolbox))
        assert keys, desc.name
        # The lazy context finds a key's provider by this prefix: a key named otherwise would never be asked for.
        assert [k for k in keys if not k.startswith(desc.name + '_')] == [], desc.name


def test_a_muttrc_without_a_server_or_tls_setting_asks_no_program(tmp_path):
    passwd = _user(tmp_path, {'.muttrc': 'set editor = "vim"\ncolor normal white default\nset sort = threads\n'})
    toolbox = RecordingToolbox()
    document = _gather(passwd, toolbox)
    assert document['clients'] == []
    assert toolbox.asked == []


def test_only_the_client_with_a_configuration_is_asked(tmp_path):
    passwd = _user(tmp_path, {'.muttrc': 'set editor = "vim"\n', '.mbsyncrc': '@mbsyncrc'})
    toolbox = RecordingToolbox()
    document = _gather(passwd, toolbox)
    assert sorted(set(c['client'] for c in document['clients'])) == ['mbsync']
    assert toolbox.programs() == ['mbsync'], toolbox.asked


def test_a_configured_muttrc_reads_as_it_would_with_every_program_asked_first(tmp_path):
    passwd = _user(tmp_path, {'.muttrc': '@muttrc'})
    lazy = RecordingToolbox()
    document = _gather(passwd, lazy)
    assert [c['client'] for c in document['clients']] == ['mutt']
    assert lazy.programs() == ['mutt'], lazy.asked
    with open(os.path.join(DATA, 'muttrc')) as handle:
        text = handle.read()
    eager_context = dict(mc.client_context(RecordingToolbox()))
    assert 'mbsync_version' in eager_context and 'mutt_defaults_modern' in eager_context
    eager = cl.parse('mutt', text, eager_context)
    lazily = cl.parse('mutt', text, mc.client_context(RecordingToolbox()))
    assert [e['versions'] for e in lazily.entries] == [e['versions'] for e in eager.entries]
    assert [e['bounds'] for e in lazily.entries] == [e['bounds'] for e in eager.entries]
    # With an answer that changes the reading (an old mutt built with OpenSSL), the lazy context still gives it.
    old_mutt = 'Mutt 1.10.1 (2018-07-13)\n+USE_SSL_OPENSSL\n'
    answering = mc.Toolbox(runner=lambda argv, timeout=5: old_mutt, which=lambda name: '/usr/bin/%s' % name)
    eager = cl.parse('mutt', text, dict(mc.client_context(answering)))
    lazily = cl.parse('mutt', text, mc.client_context(mc.Toolbox(runner=lambda argv, timeout=5: old_mutt, which=lambda name: '/usr/bin/%s' % name)))
    assert [e['bounds'] for e in lazily.entries] == [e['bounds'] for e in eager.entries] == ['library']
    assert [e['versions'] for e in lazily.entries] == [e['versions'] for e in eager.entries]


def test_options_chain_the_context_without_asking_it():
    toolbox = RecordingToolbox()
    context = mc.client_context(toolbox)
    options = mc._options(minimum='tls1_2', context=context)
    assert options['min_protocol'] == 'tls1_2' and toolbox.asked == []
    assert options.get('mbsync_version') is None
    assert toolbox.programs() == ['mbsync'] and context.asked == ['mbsync']
