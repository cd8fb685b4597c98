"""Postfix, Exim and the small relays: readers, the shared decision and the plans, on texts written for these tests."""
from ansible_collections.mailtls.remediation.plugins.module_utils import _mail_clients as mc
from ansible_collections.mailtls.remediation.plugins.module_utils import _clients as cl
from ansible_collections.mailtls.remediation.plugins.module_utils._clients import exim as ex
from ansible_collections.mailtls.remediation.plugins.module_utils._clients import postfix as pf
from ansible_collections.mailtls.remediation.plugins.module_utils._clients import relays
from ansible_collections.mailtls.remediation.plugins.module_utils._clients._base import apply_edits

MAIN_CF = """\
# See /usr/share/postfix/main.cf.dist for a commented, more complete version
smtpd_banner = $myhostname ESMTP
biff = no

# relay everything to Exchange Online
relayhost = [smtp.office365.com]:587
smtp_tls_security_level = encrypt
smtp_tls_protocols = !SSLv2, !SSLv3, !TLSv1.2,
    !TLSv1.3
# the old relay only spoke TLS 1.0
smtp_tls_mandatory_protocols = $smtp_tls_protocols
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd
smtp_sasl_security_options = noanonymous
"""

MASTER_CF = """\
smtp      inet  n       -       y       -       -       smtpd
smtp      unix  -       -       y       -       -       smtp
relay     unix  -       -       y       -       -       smtp
        -o syslog_name=postfix/$service_name
legacy    unix  -       -       y       -       -       smtp
  -o smtp_tls_security_level=encrypt
  -o smtp_tls_mandatory_protocols=TLSv1
"""


def _states(entry):
    return dict((p, entry['versions'][p][0]) for p in cl.PROTOS)


def test_protocol_lists_in_every_postfix_syntax():
    assert pf.protocol_set('')[0] == set(cl.PROTOS)
    assert pf.protocol_set('>=TLSv1.2')[0] == {'tls1_2', 'tls1_3'}
    assert pf.protocol_set('>=TLSv1 <=TLSv1.1')[0] == {'tls1_0', 'tls1_1'}
    assert pf.protocol_set('!SSLv2, !SSLv3')[0] == {'tls1_0', 'tls1_1', 'tls1_2', 'tls1_3'}
    assert pf.protocol_set('TLSv1, TLSv1.1')[0] == {'tls1_0', 'tls1_1'}
    assert pf.protocol_set('SSLv3:TLSv1')[0] == {'ssl3', 'tls1_0'}
    assert pf.protocol_set('>=TLSv9')[1] == ['>=TLSv9']
    assert pf.target_protocols('tls1_2', (3, 7, 11)) == '>=TLSv1.2'
    assert pf.target_protocols('tls1_2', (3, 4)) == '!SSLv2, !SSLv3, !TLSv1, !TLSv1.1'


def test_main_cf_reader_follows_continuations_references_and_the_security_level():
    parsed = pf.parse_main(MAIN_CF, {'postfix_version': (3, 7, 11)})
    assert parsed.ok
    [entry] = parsed.entries
    assert entry['settings']['security_level'] == 'encrypt'
    assert entry['settings']['protocols_parameter'] == 'smtp_tls_mandatory_protocols'
    # $smtp_tls_protocols expanded, the continuation line included
    assert _states(entry) == {'ssl3': 'off', 'tls1_0': 'on', 'tls1_1': 'on', 'tls1_2': 'off', 'tls1_3': 'off'}
    assert entry['bounds'] == 'own' and entry['security_level'] == 0
    [srv] = entry['servers']
    assert (srv['host'], srv['port'], srv['mode'], srv['exchange_online']) == ('smtp.office365.com', 587, 'starttls', True)
    assert entry['auth'] == 'password'
    assert entry['passwords'] == [{'line': 13, 'key': 'smtp_sasl_password_maps', 'where': '/etc/postfix/sasl_passwd'}]
    assert any('basic SMTP AUTH to Exchange Online' in note for note in entry['notes'])


def test_may_level_uses_the_opportunistic_list_and_says_it_falls_back_to_clear_text():
    parsed = pf.parse_main('smtp_tls_security_level = may\nsmtp_tls_protocols = TLSv1\nsmtp_tls_mandatory_protocols = >=TLSv1.2\n')
    [entry] = parsed.entries
    assert _states(entry)['tls1_0'] == 'on' and _states(entry)['tls1_2'] == 'off'
    assert any('in the clear' in note for note in entry['notes'])
    [plain] = pf.parse_main('relayhost = mail.example.com\n').entries
    assert plain['plain'] and plain['settings']['security_level'] == 'none'


def test_main_cf_plan_keeps_every_other_byte_and_appends_what_is_missing():
    parsed = pf.parse_main(MAIN_CF, {'postfix_version': (3, 7, 11)})
    edits = pf.plan_main(parsed, {'min_protocol': 'tls1_2', 'postfix_version': (3, 7, 11)})
    after = apply_edits(MAIN_CF, edits)
    assert after == MAIN_CF.replace('!SSLv2, !SSLv3, !TLSv1.2,\n    !TLSv1.3', '>=TLSv1.2').replace(
        'smtp_tls_mandatory_protocols = $smtp_tls_protocols', 'smtp_tls_mandatory_protocols = >=TLSv1.2')
    [entry] = pf.parse_main(after).entries
    assert _states(entry) == {'ssl3': 'off', 'tls1_0': 'off', 'tls1_1': 'off', 'tls1_2': 'on', 'tls1_3': 'on'}
    assert pf.plan_main(pf.parse_main(after), {'min_protocol': 'tls1_2'}) == []
    # nothing set: Postfix defaults (>=TLSv1) at level may -> both parameters are appended, as postconf -e does
    text = '# local relay\nsmtp_tls_security_level = may\n'
    new = apply_edits(text, pf.plan_main(pf.parse_main(text), {'min_protocol': 'tls1_2'}))
    assert new == text + 'smtp_tls_protocols = >=TLSv1.2\nsmtp_tls_mandatory_protocols = >=TLSv1.2\n'


def test_master_cf_overrides_are_their_own_entries_and_are_edited_in_place():
    main = pf.parse_main('smtp_tls_security_level = may\nsmtp_tls_protocols = >=TLSv1.2\n')
    parsed = pf.parse_master(MASTER_CF, {'postfix_main_params': main.extra['main']})
    [entry] = parsed.entries
    assert entry['name'] == 'master.cf legacy'
    assert entry['settings']['security_level'] == 'encrypt'
    assert _states(entry)['tls1_0'] == 'on' and _states(entry)['tls1_2'] == 'off'
    after = apply_edits(MASTER_CF, pf.plan_master(parsed, {'min_protocol': 'tls1_2'}))
    assert after == MASTER_CF.replace('-o smtp_tls_mandatory_protocols=TLSv1', '-o smtp_tls_mandatory_protocols=>=TLSv1.2')
    unused, entries = pf.instance_entries('smtp_tls_security_level = may\n', MASTER_CF)
    assert [e['name'] for e in entries] == ['smtp', 'master.cf legacy']


def test_policy_map_destinations_with_protocols_are_entries():
    policy = '# per destination\n[smtp.office365.com]:587 encrypt protocols=TLSv1\nexample.com may\n'
    unused, entries = pf.instance_entries('smtp_tls_policy_maps = hash:/etc/postfix/tls_policy\n', None, policy_map_text=policy)
    assert [e['name'] for e in entries] == ['smtp', 'smtp_tls_policy_maps [smtp.office365.com]:587']
    assert _states(entries[1])['tls1_0'] == 'on' and entries[1]['servers'][0]['exchange_online']


def test_postfix_is_registered_and_detected():
    assert cl.BY_FORMAT['postfix_main'].name == 'postfix' and 'postfix_main' in cl.EDITABLE and 'postfix' in cl.CLIENT_NAMES
    assert pf.detect_postfix('/etc/postfix/main.cf', MAIN_CF) == 'postfix_main'
    assert pf.detect_postfix('/etc/postfix/master.cf', MASTER_CF) == 'postfix_master'
    assert pf.detect_postfix('/srv/main.cf', 'nothing here\n') is None


EXIM_SPLIT_FRAGMENT = """\

### transport/30_exim4-config_remote_smtp_smarthost
# delivers to the smarthost, authenticates when passwd.client names it
remote_smtp_smarthost:
  debug_print = "T: remote_smtp_smarthost for $local_part@$domain"
  driver = smtp
  multi_domain
  hosts_try_auth = <; ${if exists{CONFDIR/passwd.client} \\
        {${lookup{$host}nwildlsearch{CONFDIR/passwd.client}{$host_address}}}{} }
.ifdef REMOTE_SMTP_SMARTHOST_HOSTS_AVOID_TLS
  hosts_avoid_tls = REMOTE_SMTP_SMARTHOST_HOSTS_AVOID_TLS
.endif
  tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.0
"""

EXIM_FULL = """\
primary_hostname = relay.example.com
begin routers
smarthost:
  driver = manualroute
  route_list = * smtp.office365.com::587
  transport = remote_smtp
begin transports
remote_smtp:
  driver = smtp
  hosts_require_tls = *
local_delivery:
  driver = appendfile
  file = /var/mail/$local_part
"""


def test_exim_reader_finds_smtp_transports_in_fragments_and_full_files():
    context = {'exim_library': 'gnutls', 'exim_smarthost': ex.smarthosts('smtp.office365.com::587'),
               'exim_client_auth_hosts': ex.client_auth_hosts('# host:user:password\n*.office365.com:relay@contoso.com:secret\n')}
    parsed = ex.parse_exim(EXIM_SPLIT_FRAGMENT, context)
    [entry] = parsed.entries
    assert entry['name'] == 'transport remote_smtp_smarthost' and entry['bounds'] == 'own'
    assert _states(entry) == {'ssl3': 'off', 'tls1_0': 'on', 'tls1_1': 'off', 'tls1_2': 'off', 'tls1_3': 'off'}
    assert entry['servers'][0]['host'] == 'smtp.office365.com' and entry['servers'][0]['port'] == 587
    assert entry['auth'] == 'password' and 'secret' not in repr(entry)
    [full] = ex.parse_exim(EXIM_FULL, {'exim_library': 'gnutls'}).entries
    assert full['name'] == 'transport remote_smtp' and full['bounds'] == 'library'
    assert set(_states(full).values()) == {'lib'}


def test_exim_plan_rewrites_or_adds_tls_require_ciphers():
    parsed = ex.parse_exim(EXIM_SPLIT_FRAGMENT, {'exim_library': 'gnutls'})
    after = apply_edits(EXIM_SPLIT_FRAGMENT, ex.plan_exim(parsed, {'min_protocol': 'tls1_2'}))
    assert after == EXIM_SPLIT_FRAGMENT.replace('NORMAL:-VERS-ALL:+VERS-TLS1.0', 'NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2')
    parsed = ex.parse_exim(EXIM_FULL, {'exim_library': 'gnutls'})
    after = apply_edits(EXIM_FULL, ex.plan_exim(parsed, {'min_protocol': 'tls1_2'}))
    assert after == EXIM_FULL.replace('  driver = smtp\n', '  driver = smtp\n  tls_require_ciphers = NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1\n')
    [entry] = ex.parse_exim(after, {'exim_library': 'gnutls'}).entries
    assert _states(entry)['tls1_0'] == 'off' and _states(entry)['tls1_2'] == 'lib'
    assert ex.plan_exim(ex.parse_exim(after, {'exim_library': 'gnutls'}), {'min_protocol': 'tls1_2'}) == []
    # an OpenSSL build is inventoried, not edited
    assert ex.plan_exim(ex.parse_exim(EXIM_FULL, {'exim_library': 'openssl'}), {'min_protocol': 'tls1_2', 'exim_library': 'openssl'}) == []


def test_exim_openssl_options_and_debian_settings():
    text = 'openssl_options = +no_sslv3 +no_tlsv1 +no_tlsv1_1\nbegin transports\nremote_smtp:\n  driver = smtp\n'
    [entry] = ex.parse_exim(text, {'exim_library': 'openssl'}).entries
    assert _states(entry) == {'ssl3': 'off', 'tls1_0': 'off', 'tls1_1': 'off', 'tls1_2': 'lib', 'tls1_3': 'lib'}
    values = ex.parse_update_conf("dc_eximconfig_configtype='smarthost'\ndc_smarthost='smtp.office365.com::587'\ndc_use_split_config='true'\n")
    assert values['dc_eximconfig_configtype'] == 'smarthost' and ex.smarthosts(values['dc_smarthost']) == [('smtp.office365.com', 587)]
    assert ex.smarthosts('a.example::25 : b.example') == [('a.example', 25), ('b.example', 25)]


def test_small_relays_are_reported_with_their_servers_and_password_locations():
    [ssmtp] = relays.parse_ssmtp('mailhub=smtp.office365.com:587\nUseSTARTTLS=YES\nAuthUser=a@contoso.com\nAuthPass=Secret-1\n').entries
    assert ssmtp['servers'][0]['exchange_online'] and ssmtp['servers'][0]['mode'] == 'starttls'
    assert ssmtp['bounds'] == 'library' and set(_states(ssmtp).values()) == {'lib'}
    assert ssmtp['passwords'] == [{'line': 4, 'key': 'AuthPass'}] and 'Secret-1' not in repr(ssmtp)
    parsed = relays.parse_nullmailer('smtp.office365.com smtp --port=587 --starttls --user=a@contoso.com --pass=Secret-2\n')
    [null] = parsed.entries
    assert null['servers'][0]['port'] == 587 and null['auth'] == 'password'
    assert cl.redact(parsed.text, parsed.secrets).count('Secret-2') == 0
    [dma] = relays.parse_dma('SMARTHOST smtp.office365.com\nPORT 587\nSECURETRANSFER\nSTARTTLS\nAUTHPATH /etc/dma/auth.conf\n').entries
    assert dma['servers'][0]['mode'] == 'starttls' and dma['passwords'][0]['key'] == 'AUTHPATH /etc/dma/auth.conf'
    assert relays.parse_dma('# direct delivery\n').entries == []
    for name in ('ssmtp', 'nullmailer', 'dma'):
        assert cl.BY_NAME[name].report_only and name not in cl.CLIENT_NAMES


def test_the_shared_decision_says_own_bounds_for_postfix_and_library_for_the_relays():
    document = {'stacks': [], 'clients': [], 'findings': []}
    [entry] = pf.parse_main(MAIN_CF).entries
    decision = mc.entry_decision(document, entry, 'openssl', '/etc/postfix/main.cf')
    assert decision['bounds'] == 'own' and decision['protocols']['tls1_0']['state'] == 'allowed' and decision['change']


def test_a_tls1_relay_to_exchange_online_gives_the_findings_with_the_table_location_only(tmp_path):
    """The inventory of a Postfix main.cf: own-bounds legacy finding, basic SMTP AUTH to Exchange Online, no secret."""
    from ansible_collections.mailtls.remediation.plugins.module_utils import _linux_tls  # pylint: disable=import-outside-toplevel
    from ansible_collections.mailtls.remediation.plugins.module_utils import _posture  # pylint: disable=import-outside-toplevel
    path = tmp_path / 'main.cf'
    path.write_text(MAIN_CF)
    document = _posture.new_document('linux', 'unit')
    _linux_tls.gather_all(document, {'gather': ['openssl']})
    [entry] = pf.parse_main(MAIN_CF).entries
    cl._base.entry_keys([entry])
    record = mc.build_client(document, 'postfix', None, str(path), entry, {'library': 'openssl', 'library_source': 'unit'})
    document['clients'].append(record)
    mc.client_findings(document, record, entry)
    _posture.evaluate(document)
    found = dict((f['id'], f) for f in document['findings'])
    assert 'client_exo_basic_auth_smtp' in found, sorted(found)
    assert any(fid in found for fid in ('client_own_bounds_legacy', 'client_pinned_below_tls12', 'client_allows_legacy')), sorted(found)
    text = repr(document)
    assert '/etc/postfix/sasl_passwd' in text or 'smtp_sasl_password_maps' in text
