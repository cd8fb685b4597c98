# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: mail client inventory and remediation planning.

``gather_mail_clients(document, ...)`` finds the configuration files of
fetchmail, mutt/neomutt, isync/mbsync, offlineimap, getmail6, msmtp,
imapfilter, curl and Thunderbird for every local user (home directories from
the passwd database) and the system-wide files, and adds one client per
account/profile to the posture document with what the client will negotiate:
its own settings combined with the system policy of the TLS library it links
(the ``openssl``, ``gnutls`` or ``nss`` stack of the same document).  Scripts
that pin legacy TLS in code are reported, never changed.

``plan_file(...)`` is what the ``mail_client_tls`` module applies: the
edited bytes of one file, its change list and a redacted diff.

``clients_from_windows_raw(raw, document=None)`` interprets what the Windows
reader gathered (installed mail clients, Thunderbird profiles and policies).

No password or token value is ever put into a result: passwords are reported
by file, line and key, and diffs mask them.

Standard library only (target side, Python 3.8+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import bisect
import glob
import os
import re
import stat
import subprocess

from ansible_collections.mailtls.remediation.plugins.module_utils import _mail_formats as mf
from ansible_collections.mailtls.remediation.plugins.module_utils._atomic import read_file, sha256_bytes
from ansible_collections.mailtls.remediation.plugins.module_utils import _posture

DEFAULT_MAX_FILE_BYTES = 1024 * 1024
SCRIPT_MAX_FILES = 20000
COMMAND_TIMEOUT = 5

CLIENT_NAMES = ('fetchmail', 'mutt', 'neomutt', 'mbsync', 'offlineimap', 'getmail', 'msmtp', 'imapfilter', 'curl', 'thunderbird')

FINDINGS = {
    'client_legacy_endpoint': {
        'severity': 'high', 'effect': 'will_fail',
        'title': '{client} uses the closing endpoint {host}',
        'remediation': 'Point it at {target} (mailtls.remediation.mail_client_tls with move_legacy_endpoints=true).',
    },
    'client_cleartext_password': {
        'severity': 'medium', 'effect': 'none',
        'title': '{client} stores a password in clear ({where})',
        'remediation': 'Keep the secret out of the file: {how}.',
    },
    'client_exo_basic_auth': {
        'severity': 'high', 'effect': 'will_fail',
        'title': '{client} logs in to Exchange Online {service} with a password; basic authentication is retired there',
        'remediation': 'Switch to OAuth2: {oauth}',
    },
    'client_exo_basic_auth_smtp': {
        'severity': 'medium', 'effect': 'at_risk',
        'title': '{client} uses SMTP AUTH with a password against Exchange Online; its basic authentication is being retired',
        'remediation': 'Switch to OAuth2: {oauth}',
    },
    'client_no_usable_protocol': {
        'severity': 'critical', 'effect': 'will_fail',
        'title': '{client} can negotiate no TLS version at all',
        'remediation': 'Its own pin and the system policy of {library} exclude each other; let the client use TLS 1.2 or newer '
                       '(mailtls.remediation.mail_client_tls).',
    },
    'client_tls_disabled': {
        'severity': 'medium', 'effect': 'at_risk',
        'title': '{client} talks to {host} without TLS',
        'remediation': 'Turn TLS on (implicit TLS on 993/995/465 or STARTTLS); Exchange Online requires TLS 1.2.',
    },
    'client_config_unparsable': {
        'severity': 'low', 'effect': 'unknown',
        'title': 'A {client} configuration could not be read or understood',
        'remediation': 'Check the file by hand; mail_client_tls leaves it untouched.',
    },
    'script_pins_legacy_tls': {
        'severity': 'high', 'effect': 'will_fail',
        'title': 'A script pins {what}',
        'remediation': '{fix}',
    },
    'script_allows_legacy_tls': {
        'severity': 'low', 'effect': 'at_risk',
        'title': 'A script may negotiate legacy TLS: {what}',
        'remediation': '{fix}',
    },
    'script_legacy_endpoint': {
        'severity': 'high', 'effect': 'will_fail',
        'title': 'A script uses the closing endpoint {host}',
        'remediation': 'Use outlook.office365.com (IMAP/POP) or smtp.office365.com (SMTP) instead.',
    },
}
_posture.register_findings(FINDINGS)

OAUTH_HELP = {
    'fetchmail': "fetchmail 7 (and distribution builds of 6.4/6.5 carrying the OAUTHBEARER patch, e.g. openSUSE) accept "
                 "'auth oauthbearer' for IMAP (falling back to XOAUTH2) with an access token as the password (passwordfile); "
                 "Debian's fetchmail 6.4 has no OAuth2, use mbsync or offlineimap for Exchange Online instead",
    'mutt': "set imap_authenticators=\"oauthbearer:xoauth2\" and imap_oauth_refresh_command (smtp_/pop_ equivalents) to a token helper",
    'neomutt': "set imap_authenticators=\"oauthbearer:xoauth2\" and imap_oauth_refresh_command (smtp_/pop_ equivalents) to a token helper",
    'mbsync': "AuthMechs XOAUTH2 with the cyrus-sasl-xoauth2 SASL plugin and PassCmd printing an access token",
    'offlineimap': "auth_mechanisms = XOAUTH2 with oauth2_request_url, oauth2_client_id and oauth2_refresh_token (or oauth2_access_token_eval)",
    'getmail': "use_xoauth2 = True with password_command printing an access token (getmail-gmail-xoauth-tokens style helper)",
    'msmtp': "auth xoauth2 (or oauthbearer) with passwordeval printing an access token",
    'imapfilter': "recent imapfilter versions take an access token in the oauth2 field of IMAP{} (check the installed version)",
    'curl': "--oauth2-bearer with an access token",
    'thunderbird': "OAuth2 is built in: set the account's authentication method to OAuth2 (authMethod 10)",
    'outlook': "use Modern Authentication (enabled by default in Office 2016 and later)",
}
PASSWORD_HELP = {
    'fetchmail': 'let fetchmail prompt, use ~/.netrc with mode 0600, or passwordfile where supported',
    'mutt': 'use a command substitution such as set imap_pass=`pass show mail`, or an OAuth2 refresh command',
    'neomutt': 'use a command substitution such as set imap_pass=`pass show mail`, or an OAuth2 refresh command',
    'mbsync': 'use PassCmd with a password manager',
    'offlineimap': 'use remotepasseval or remotepassfile (mode 0600), or the keyring',
    'getmail': 'use password_command',
    'msmtp': 'use passwordeval or the keyring',
    'imapfilter': 'read the password from a protected file or prompt for it',
    'curl': 'use --netrc-file with mode 0600',
}

# ---------------------------------------------------------------------------
# libraries and versions of the installed clients
# ---------------------------------------------------------------------------

_BINARIES = {
    'fetchmail': ('fetchmail',), 'mutt': ('mutt',), 'neomutt': ('neomutt',), 'mbsync': ('mbsync',), 'msmtp': ('msmtp',),
    'curl': ('curl',), 'imapfilter': ('imapfilter',), 'offlineimap': ('offlineimap', 'offlineimap3'), 'getmail': ('getmail', 'getmail6'),
    'thunderbird': ('thunderbird',),
}
DISTRO_DEFAULT_LIBRARY = {
    'fetchmail': 'openssl', 'mutt': 'gnutls', 'neomutt': 'gnutls', 'mbsync': 'openssl', 'msmtp': 'gnutls', 'curl': 'openssl',
    'imapfilter': 'openssl', 'offlineimap': 'openssl', 'getmail': 'openssl', 'thunderbird': 'nss',
}
_PYTHON_CLIENTS = ('offlineimap', 'getmail')
_SEARCH_PATH = ('/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/lib/thunderbird', '/opt/thunderbird')


def _which(name):
    for folder in _SEARCH_PATH + tuple(os.environ.get('PATH', '').split(os.pathsep)):
        if not folder:
            continue
        path = os.path.join(folder, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def _run(argv, timeout=COMMAND_TIMEOUT):
    env = dict(os.environ, LC_ALL='C', LANG='C')
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.decode('utf-8', 'replace')[:65536]


def _version_tuple(text):
    match = re.search(r'(\d+)\.(\d+)(?:\.(\d+))?', text or '')
    if not match:
        return None
    return tuple(int(g) for g in match.groups() if g is not None)


class Toolbox(object):
    """Finds each client's binary, library and version once per run."""

    def __init__(self, runner=None, which=None):
        self._run = runner or _run
        self._which = which or _which
        self._cache = {}

    def info(self, client):
        if client in self._cache:
            return self._cache[client]
        info = {'client': client, 'binary': None, 'library': DISTRO_DEFAULT_LIBRARY.get(client),
                'library_source': 'distribution default (client not installed or not inspected)', 'version': None}
        binary = None
        for name in _BINARIES.get(client, ()):
            binary = self._which(name)
            if binary:
                break
        info['binary'] = binary
        if binary:
            self._inspect(client, binary, info)
        self._cache[client] = info
        return info

    def _inspect(self, client, binary, info):
        if client in ('mutt', 'neomutt'):
            out = self._run([binary, '-v']) or ''
            first = out.strip().splitlines()[0] if out.strip() else ''
            info['version'] = _version_tuple(first) if client == 'mutt' else None
            info['version_text'] = first[:80] or None
            if '+USE_SSL_GNUTLS' in out:
                info['library'], info['library_source'] = 'gnutls', '%s -v: +USE_SSL_GNUTLS' % binary
                return
            if '+USE_SSL_OPENSSL' in out:
                info['library'], info['library_source'] = 'openssl', '%s -v: +USE_SSL_OPENSSL' % binary
                return
        elif client == 'msmtp':
            out = self._run([binary, '--version']) or ''
            info['version'] = _version_tuple(out.splitlines()[0] if out else '')
            match = re.search(r'TLS/SSL library:\s*(\S+)', out)
            if match:
                lib = {'gnutls': 'gnutls', 'openssl': 'openssl', 'libtls': 'libtls'}.get(match.group(1).lower())
                if lib:
                    info['library'], info['library_source'] = lib, '%s --version: TLS/SSL library: %s' % (binary, match.group(1))
                    return
        elif client == 'mbsync':
            info['version'] = _version_tuple(self._run([binary, '--version']) or '')
        elif client == 'curl':
            out = self._run([binary, '--version']) or ''
            info['version'] = _version_tuple(out.split(' ', 2)[1] if out.count(' ') >= 2 else '')
            first = out.splitlines()[0] if out else ''
            for token, lib in (('OpenSSL', 'openssl'), ('GnuTLS', 'gnutls'), ('NSS', 'nss')):
                if token in first:
                    info['library'], info['library_source'] = lib, '%s --version: %s' % (binary, token)
                    return
        if client in _PYTHON_CLIENTS:
            info['library'], info['library_source'] = 'openssl', 'Python ssl module (OpenSSL)'
            return
        lib = self._ldd(binary)
        if lib:
            info['library'], info['library_source'] = lib, 'ldd %s' % binary

    def _ldd(self, binary):
        out = self._run(['ldd', binary])
        if not out:
            return None
        if 'libgnutls' in out:
            return 'gnutls'
        if 'libnss3' in out:
            return 'nss'
        if 'libssl' in out:
            return 'openssl'
        return None


# ---------------------------------------------------------------------------
# discovery
# ---------------------------------------------------------------------------

USER_FILES = (
    ('fetchmail', '.fetchmailrc'),
    ('mutt', '.muttrc'), ('mutt', '.mutt/muttrc'), ('mutt', '.config/mutt/muttrc'),
    ('neomutt', '.neomuttrc'), ('neomutt', '.config/neomutt/neomuttrc'), ('neomutt', '.neomutt/neomuttrc'),
    ('mbsync', '.mbsyncrc'), ('mbsync', '.config/isyncrc'), ('mbsync', '.config/mbsync/config'),
    ('offlineimap', '.offlineimaprc'), ('offlineimap', '.config/offlineimap/config'),
    ('getmail', '.getmail/getmailrc*'), ('getmail', '.config/getmail/getmailrc*'),
    ('msmtp', '.msmtprc'), ('msmtp', '.config/msmtp/config'),
    ('imapfilter', '.imapfilter/config.lua'), ('imapfilter', '.config/imapfilter/config.lua'),
    ('curl', '.curlrc'), ('curl', '.config/curlrc'),
    ('thunderbird_profiles', '.thunderbird/profiles.ini'), ('thunderbird_profiles', '.mozilla-thunderbird/profiles.ini'),
    ('thunderbird_profiles', 'snap/thunderbird/common/.thunderbird/profiles.ini'),
    ('thunderbird_profiles', '.var/app/org.mozilla.Thunderbird/.thunderbird/profiles.ini'),
)
SYSTEM_FILES = (
    ('fetchmail', '/etc/fetchmailrc'),
    ('mutt', '/etc/Muttrc'), ('mutt', '/etc/Muttrc.d/*.rc'),
    ('neomutt', '/etc/neomuttrc'), ('neomutt', '/etc/neomuttrc.d/*.rc'),
    ('msmtp', '/etc/msmtprc'),
    ('thunderbird_policies', '/etc/thunderbird/policies/policies.json'),
    ('thunderbird_policies', '/usr/lib/thunderbird/distribution/policies.json'),
)


def client_of(fmt):
    return 'thunderbird' if fmt.startswith('thunderbird') else fmt


def detect_format(path, data=None):
    """Guess the format of an explicitly named file; None when unknown."""
    base = os.path.basename(path).lower()
    parent = os.path.basename(os.path.dirname(path)).lower()
    by_name = {
        '.fetchmailrc': 'fetchmail', 'fetchmailrc': 'fetchmail', '.muttrc': 'mutt', 'muttrc': 'mutt', 'muttrc.local': 'mutt',
        '.neomuttrc': 'neomutt', 'neomuttrc': 'neomutt', '.mbsyncrc': 'mbsync', 'mbsyncrc': 'mbsync', 'isyncrc': 'mbsync',
        '.offlineimaprc': 'offlineimap', 'offlineimaprc': 'offlineimap', '.msmtprc': 'msmtp', 'msmtprc': 'msmtp',
        '.curlrc': 'curl', 'curlrc': 'curl', 'prefs.js': 'thunderbird_prefs', 'user.js': 'thunderbird_user',
        'policies.json': 'thunderbird_policies', 'profiles.ini': 'thunderbird_profiles',
    }
    if base in by_name:
        return by_name[base]
    if base.startswith('getmailrc'):
        return 'getmail'
    if base == 'config.lua' and 'imapfilter' in parent:
        return 'imapfilter'
    if base == 'config' and parent in ('msmtp', 'offlineimap', 'mbsync'):
        return parent
    if base.endswith('.rc') and parent in ('muttrc.d', 'neomuttrc.d'):
        return 'neomutt' if parent.startswith('neo') else 'mutt'
    if data is None:
        return None
    text = mf.decode(data[:65536])
    if re.search(r'^\s*user_pref\(', text, re.M):
        return 'thunderbird_prefs'
    if re.search(r'^\s*(poll|skip)\s+\S+', text, re.M) and re.search(r'\b(proto|protocol|user|username)\b', text):
        return 'fetchmail'
    if re.search(r'^\s*(IMAPAccount|IMAPStore|MaildirStore)\s+\S', text, re.M):
        return 'mbsync'
    if re.search(r'^\s*\[Repository\s', text, re.M):
        return 'offlineimap'
    if re.search(r'^\s*\[retriever\]', text, re.M):
        return 'getmail'
    if re.search(r'^\s*account\s+\S+', text, re.M) and re.search(r'^\s*host\s+\S+', text, re.M):
        return 'msmtp'
    if re.search(r'IMAP\s*\{', text):
        return 'imapfilter'
    if re.search(r'^\s*set\s+(ssl_|imap_|smtp_url|folder|spoolfile)', text, re.M):
        return 'mutt'
    return None


def passwd_homes(users=None, passwd_entries=None):
    """[(user, home)] from the passwd database; the same home is listed once."""
    if passwd_entries is None:
        import pwd
        passwd_entries = pwd.getpwall()
    wanted = set(users) if users else None
    seen = set()
    out = []
    for pw_entry in passwd_entries:
        name = getattr(pw_entry, 'pw_name', None) or pw_entry[0]
        home = getattr(pw_entry, 'pw_dir', None) or pw_entry[5]
        if wanted is not None and name not in wanted:
            continue
        if not home or home == '/' or not os.path.isabs(home):
            continue
        real = os.path.realpath(home)
        if real in seen or not os.path.isdir(real):
            continue
        seen.add(real)
        out.append((name, home))
    return out


def discover(users=None, passwd_entries=None, clients=None, include_system=True):
    """Candidate files: dicts with path, format, user (None for system-wide)."""
    wanted = set(clients) if clients else None
    found = []
    seen = set()

    def add(fmt, path, user):
        if wanted is not None and client_of(fmt) not in wanted:
            return
        if path in seen:
            return
        seen.add(path)
        found.append({'path': path, 'format': fmt, 'user': user})

    for user, home in passwd_homes(users, passwd_entries):
        for fmt, rel in USER_FILES:
            pattern = os.path.join(home, rel)
            matches = sorted(glob.glob(pattern)) if any(c in rel for c in '*?[') else ([pattern] if os.path.lexists(pattern) else [])
            for path in matches:
                if fmt == 'thunderbird_profiles':
                    for item in thunderbird_profile_files(path):
                        add(item['format'], item['path'], user)
                else:
                    add(fmt, path, user)
                    if fmt in ('mutt', 'neomutt'):
                        for sourced in mutt_sources(path, home):
                            add(fmt, sourced, user)
    if include_system and not users:
        for fmt, pattern in SYSTEM_FILES:
            for path in sorted(glob.glob(pattern)):
                add(fmt, path, None)
    return found


def mutt_sources(path, home, depth=2):
    """Files a muttrc sources (one or two levels), limited to the user's home."""
    out = []
    result = read_file(path, max_bytes=DEFAULT_MAX_FILE_BYTES)
    if result.data is None or depth <= 0:
        return out
    for match in re.finditer(r'''^[ \t]*source[ \t]+("[^"\n]+"|'[^'\n]+'|\S+)''', mf.decode(result.data), re.M):
        target = match.group(1).strip('"\'')
        if target.endswith('|') or '`' in target:
            continue
        target = os.path.expanduser(target.replace('~', home, 1) if target.startswith('~') else target)
        if not os.path.isabs(target):
            target = os.path.join(os.path.dirname(path), target)
        real = os.path.realpath(target)
        if real.startswith(os.path.realpath(home) + os.sep) and os.path.isfile(real):
            out.append(target)
            out.extend(mutt_sources(target, home, depth - 1))
    return out


def thunderbird_profile_files(profiles_ini, max_bytes=DEFAULT_MAX_FILE_BYTES):
    """prefs.js / user.js of every profile listed in profiles.ini (relative and absolute paths)."""
    out = []
    result = read_file(profiles_ini, max_bytes=max_bytes)
    if result.data is None:
        return out
    parsed = mf.parse_profiles_ini(mf.decode(result.data))
    base = os.path.dirname(profiles_ini)
    for profile in parsed.extra.get('profiles', []):
        folder = profile['path']
        if profile['relative']:
            folder = os.path.join(base, folder.replace('\\', '/'))
        for name, fmt in (('prefs.js', 'thunderbird_prefs'), ('user.js', 'thunderbird_user')):
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                out.append({'path': path, 'format': fmt, 'profile': profile['name'], 'profiles_ini': profiles_ini})
    return out


# ---------------------------------------------------------------------------
# what a client negotiates: its own settings and its library's policy
# ---------------------------------------------------------------------------

def _stack_overrides_apps(stack, library):
    """GnuTLS [overrides] disabled-version binds every application; a default priority does not."""
    if library == 'openssl':
        return True
    if library == 'gnutls':
        for proto in _posture.PROTOCOLS:
            for ev in stack['protocols'][proto].get('evidence', []):
                if 'disabled-version' in str(ev.get('key', '')) or 'overrides' in str(ev.get('section', '')) \
                        or 'disabled-version' in stack['protocols'][proto].get('reason', ''):
                    return True
        return False
    return False


def combine(entry, library, stack, path):
    protocols = {}
    lib_label = {'openssl': 'OpenSSL', 'gnutls': 'GnuTLS', 'nss': 'NSS'}.get(library, library or 'its TLS library')
    binding = stack is not None and _stack_overrides_apps(stack, library)
    for proto in _posture.PROTOCOLS:
        state, reason, evs = entry['versions'][proto]
        ev = [_posture.evidence('file', path=path, line=e.get('line'), key=e.get('key'), value=e.get('value'), note=e.get('note'))
              if e.get('line') or e.get('key') else _posture.evidence('default', note=reason) for e in evs]
        if not ev:
            ev = [_posture.evidence('default', path=path, note=reason)]
        sdec = stack['protocols'][proto] if stack is not None else None
        conditions = []
        if state == 'off':
            result = _posture.decision('refused', 'the client refuses it: %s' % reason, ev)
        elif state == 'unknown':
            result = _posture.decision('unknown', reason, ev)
        elif sdec is None:
            if state == 'on':
                result = _posture.decision('allowed', 'the client enables it (%s); the %s system policy was not inventoried' % (reason, lib_label), ev,
                                           ['unless the system policy of %s refuses it' % lib_label])
            else:
                result = _posture.decision('unknown', 'left to %s (%s), whose system policy was not inventoried' % (lib_label, reason), ev)
        elif sdec['state'] == 'refused' and (state == 'lib' or binding):
            why = 'the client setting cannot go below the system minimum' if state == 'on' else 'the client leaves it to the library'
            result = _posture.decision('refused', '%s: the %s system policy refuses it (%s); %s' % (reason, lib_label, sdec['reason'], why),
                                       ev + list(sdec.get('evidence', [])), sdec.get('conditions'))
        elif sdec['state'] == 'refused':
            result = _posture.decision('allowed', '%s: the client enables it explicitly, which overrides the %s default that refuses it' % (reason, lib_label),
                                       ev + list(sdec.get('evidence', [])))
        elif state == 'on':
            if sdec['state'] == 'unknown':
                conditions.append('unless the %s system policy refuses it (not determined: %s)' % (lib_label, sdec['reason']))
                why = 'whether the %s system policy refuses it is not determined' % lib_label
            else:
                why = 'the %s system policy allows it (%s)' % (lib_label, sdec['reason'])
            conditions.extend(sdec.get('conditions', []))
            result = _posture.decision('allowed', '%s; %s' % (reason, why), ev + list(sdec.get('evidence', [])), conditions)
        else:
            result = _posture.decision(sdec['state'], '%s; %s: %s' % (reason, lib_label, sdec['reason']),
                                       ev + list(sdec.get('evidence', [])), sdec.get('conditions'))
        protocols[proto] = result
    return protocols


# ---------------------------------------------------------------------------
# gathering
# ---------------------------------------------------------------------------

def _context(toolbox):
    mutt = toolbox.info('mutt')
    mbsync = toolbox.info('mbsync')
    msmtp = toolbox.info('msmtp')
    return {
        'mutt_defaults_modern': (tuple(mutt['version'][:2]) >= (2, 0)) if mutt.get('version') else None,
        'mbsync_version': mbsync.get('version'),
        'msmtp_library': msmtp.get('library') or 'gnutls',
    }


def _client_id(client, user, path, entry):
    return '%s:%s:%s:%s' % (client, user or 'system', path, entry.get('line') or 0)


def _public_servers(entry):
    out = []
    for srv in entry['servers']:
        item = dict((k, v) for k, v in srv.items() if k != 'span')
        out.append(item)
    return out


def _clean_settings(settings):
    out = {}
    for key, value in (settings or {}).items():
        if isinstance(value, (str, int, float, bool)) or value is None:
            out[key] = value
    return out


def _library_stack(document, library):
    """The posture stack that decides for a client's TLS library."""
    if not library:
        return None
    if library == 'schannel':
        # Applications are SChannel *clients*: the client side decides for them.
        return _posture.stack_by_id(document, 'schannel_client') or _posture.stack_by_id(document, 'schannel')
    return _posture.stack_by_id(document, library)


def build_client(document, client, user, path, entry, info, extra_settings=None):
    library = info.get('library')
    stack = _library_stack(document, library)
    settings = _clean_settings(entry.get('settings'))
    settings['entry'] = entry.get('name')
    settings['library_source'] = info.get('library_source')
    if info.get('version'):
        settings['client_version'] = '.'.join(str(v) for v in info['version'])
    if entry['passwords']:
        settings['passwords_in_clear'] = ['line %s (%s)' % (p['line'], p['key']) for p in entry['passwords']]
    settings['auth'] = entry.get('auth')
    if extra_settings:
        settings.update(extra_settings)
    record = {
        'id': _client_id(client, user, path, entry),
        'client': client,
        'user': user,
        'path': path,
        'line': entry.get('line'),
        'library': library,
        'servers': _public_servers(entry),
        'settings': settings,
        'report_only': False,
    }
    if not entry.get('plain'):
        record['protocols'] = combine(entry, library, stack, path)
    return record


def client_findings(document, record, entry):
    subject = 'client:%s' % record['id']
    client = record['client']
    label = '%s (%s)' % (client, record['path'])
    path = record['path']
    protocols = record.get('protocols')
    if protocols and all(protocols[p]['state'] == 'refused' for p in _posture.PROTOCOLS):
        ev = [e for p in _posture.PROTOCOLS for e in protocols[p]['evidence']][:10]
        _posture.add_finding(document, _posture.make_finding('client_no_usable_protocol', subject, ev, client=label,
                                                             library=record.get('library') or 'its library'))
    for srv in record['servers']:
        ev = [_posture.evidence('file', path=path, line=srv.get('line'), key='server', value=srv['host'])]
        if srv.get('legacy_endpoint'):
            _posture.add_finding(document, _posture.make_finding('client_legacy_endpoint', subject, ev, client=label, host=srv['host'],
                                                                 target=mf.legacy_target(srv['host'])))
        if srv.get('mode') == 'plain' and srv.get('exchange_online'):
            _posture.add_finding(document, _posture.make_finding('client_tls_disabled', subject, ev, client=label, host=srv['host']))
        if srv.get('exchange_online') and entry.get('auth') == 'password':
            fid = 'client_exo_basic_auth_smtp' if srv.get('service') == 'smtp' else 'client_exo_basic_auth'
            _posture.add_finding(document, _posture.make_finding(fid, subject, ev, client=label, service=(srv.get('service') or 'mail').upper(),
                                                                 oauth=OAUTH_HELP.get(client, 'use an OAuth2-capable client')))
    if entry['passwords']:
        ev = [_posture.evidence('file', path=path, line=p['line'], key=p['key'], note='value not shown') for p in entry['passwords']]
        where = ', '.join('line %s %s' % (p['line'], p['key']) for p in entry['passwords'])
        _posture.add_finding(document, _posture.make_finding('client_cleartext_password', subject, ev, client=label, where=where,
                                                             how=PASSWORD_HELP.get(client, 'use a password manager or OAuth2')))


def _unparsable(document, client, path, why):
    _posture.add_finding(document, _posture.make_finding(
        'client_config_unparsable', 'file:%s' % path, [_posture.evidence('file', path=path, note=why)], client=client, detail=why))


def gather_mail_clients(document, users=None, script_paths=None, max_file_bytes=DEFAULT_MAX_FILE_BYTES, passwd_entries=None,
                        toolbox=None, include_system=True):
    """Add every mail client found on this host to ``document['clients']`` with its findings."""
    toolbox = toolbox or Toolbox()
    candidates = discover(users, passwd_entries, include_system=include_system)
    # Asking the client binaries for their versions costs a process each: only when a config needs it.
    context = _context(toolbox) if candidates else {}
    policies = _system_policies(candidates, max_file_bytes)
    profiles = {}
    for cand in candidates:
        fmt = cand['format']
        if fmt in ('thunderbird_prefs', 'thunderbird_user'):
            profiles.setdefault(os.path.dirname(cand['path']), {'user': cand['user']})[fmt] = cand['path']
            continue
        try:
            _gather_file(document, cand, context, toolbox, max_file_bytes)
        except Exception as exc:  # pylint: disable=broad-except
            # one odd file must not lose the rest of the inventory
            _unparsable(document, client_of(fmt), cand['path'], 'internal error while reading: %s' % type(exc).__name__)
    for folder, item in sorted(profiles.items()):
        try:
            _gather_thunderbird_profile(document, folder, item, policies, toolbox, max_file_bytes)
        except Exception as exc:  # pylint: disable=broad-except
            _unparsable(document, 'thunderbird', folder, 'internal error while reading: %s' % type(exc).__name__)
    if script_paths:
        scan_scripts(document, script_paths, max_file_bytes=max_file_bytes)
    return document


def _read_text(path, max_file_bytes):
    result = read_file(path, max_bytes=max_file_bytes)
    if result.data is None:
        return None, result
    return mf.decode(result.data), result


def _gather_file(document, cand, context, toolbox, max_file_bytes):
    fmt = cand['format']
    client = client_of(fmt)
    path = cand['path']
    text, result = _read_text(path, max_file_bytes)
    if text is None:
        if result.status != 'missing':
            _unparsable(document, client, path, '%s: %s' % (result.status, result.error))
        return
    parsed = mf.parse(fmt, text, context)
    if not parsed.ok:
        _unparsable(document, client, path, '; '.join(parsed.errors))
        return
    if fmt == 'thunderbird_policies':
        _gather_policies(document, cand, parsed, toolbox)
        return
    info = toolbox.info(client)
    for entry in parsed.entries:
        explicit = any(ev.get('value') is not None for p in mf.PROTOS for ev in entry['versions'][p][2])
        if fmt in ('mutt', 'neomutt') and not entry['servers'] and not explicit:
            # a muttrc without any TLS setting or server (e.g. the distribution's /etc/Muttrc) is not a client
            continue
        extra = {}
        if fmt == 'fetchmail':
            mode = stat.S_IMODE(result.stat.st_mode)
            extra['file_mode'] = '%04o' % mode
        record = build_client(document, client, cand['user'], path, entry, info, extra)
        document['clients'].append(record)
        client_findings(document, record, entry)


def _system_policies(candidates, max_file_bytes):
    best = {}
    for cand in candidates:
        if cand['format'] != 'thunderbird_policies':
            continue
        text, unused = _read_text(cand['path'], max_file_bytes)
        if text is None:
            continue
        parsed = mf.parse_policies(text)
        if parsed.ok:
            rng = parsed.extra['range']
            for key in ('min', 'max'):
                if rng.get(key) and key not in best:
                    best[key] = rng[key]
                    best[key + '_path'] = cand['path']
    return best


def _gather_policies(document, cand, parsed, toolbox):
    info = toolbox.info('thunderbird')
    rng = parsed.extra['range']
    if not rng.get('min') and not rng.get('max'):
        return
    entry = mf.new_entry('policies.json', 1)
    low = rng.get('min') or 'tls1_2'
    high = rng.get('max') or 'tls1_3'
    ev = [{'line': v['line'], 'key': k, 'value': v['value']} for k, v in parsed.extra['policies'].items()]
    for proto in mf.PROTOS:
        entry['versions'][proto] = ('on' if mf.rank(low) <= mf.rank(proto) <= mf.rank(high) else 'off',
                                    'enterprise policy SSLVersionMin/SSLVersionMax %s..%s' % (mf.LABELS[low], mf.LABELS[high]), ev)
    entry['auth'] = None
    record = build_client(document, 'thunderbird', cand['user'], cand['path'], entry, info, {'kind': 'enterprise policy'})
    document['clients'].append(record)
    client_findings(document, record, entry)


def _thunderbird_version(folder):
    result = read_file(os.path.join(folder, 'compatibility.ini'), max_bytes=65536)
    if result.data is None:
        return None
    match = re.search(r'^LastVersion=(\d+)\.(\d+)', mf.decode(result.data), re.M)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _gather_thunderbird_profile(document, folder, item, policies, toolbox, max_file_bytes):
    info = toolbox.info('thunderbird')
    parsed = {}
    for fmt in ('thunderbird_prefs', 'thunderbird_user'):
        path = item.get(fmt)
        if not path:
            continue
        text, result = _read_text(path, max_file_bytes)
        if text is None:
            _unparsable(document, 'thunderbird', path, '%s: %s' % (result.status, result.error))
            continue
        one = mf.parse_prefs(text, fmt)
        if not one.ok:
            _unparsable(document, 'thunderbird', path, '; '.join(one.errors))
            continue
        parsed[fmt] = one
    if 'thunderbird_prefs' not in parsed and 'thunderbird_user' not in parsed:
        return
    version = _thunderbird_version(folder)
    prefs_path = item.get('thunderbird_prefs') if 'thunderbird_prefs' in parsed else item.get('thunderbird_user')
    entries, rng = mf.thunderbird_entries(parsed.get('thunderbird_prefs'), parsed.get('thunderbird_user'), policies, version)
    profile_entry = mf.new_entry('profile', 1)
    low, high, why = rng
    for proto in mf.PROTOS:
        profile_entry['versions'][proto] = ('on' if mf.rank(low) <= mf.rank(proto) <= mf.rank(high) else 'off', why,
                                            _tb_evidence(parsed))
    for entry in entries:
        profile_entry['servers'].extend(entry['servers'])
    extra = {'profile': folder, 'user_js': item.get('thunderbird_user'), 'security.tls.version.min': mf.TB_NUMBER_OF.get(low),
             'security.tls.version.max': mf.TB_NUMBER_OF.get(high)}
    if version:
        extra['client_version'] = '%d.%d' % version
    if os.path.lexists(os.path.join(folder, 'lock')) or os.path.lexists(os.path.join(folder, '.parentlock')):
        extra['maybe_running'] = True
    record = build_client(document, 'thunderbird', item['user'], prefs_path, profile_entry, info, extra)
    document['clients'].append(record)
    client_findings(document, record, profile_entry)
    for entry in entries:
        # basic-auth findings are per account
        if entry['auth'] == 'password':
            sub = dict(record, servers=_public_servers(entry))
            client_findings(document, sub, dict(entry, passwords=[]))


def _tb_evidence(parsed):
    out = []
    for fmt, one in parsed.items():
        for key in ('security.tls.version.min', 'security.tls.version.max', 'security.tls.version.enable-deprecated'):
            item = one.extra.get('prefs', {}).get(key)
            if item is not None:
                out.append({'line': item['line'], 'key': key, 'value': item['value'], 'note': fmt})
    return out


# ---------------------------------------------------------------------------
# scripts that pin legacy TLS in code (report only)
# ---------------------------------------------------------------------------

SCRIPT_EXTENSIONS = ('.py', '.sh', '.bash', '.zsh', '.ksh', '.php', '.java', '.properties', '.pl', '.pm', '.rb', '.ps1', '.psm1',
                     '.js', '.ts', '.go', '.c', '.cs', '.vbs', '.cfg', '.conf', '.ini', '.xml', '.yml', '.yaml', '.groovy', '.kt')
_SCRIPT_RULES = (
    ('pin', re.compile(r'\bPROTOCOL_(TLSv1|TLSv1_1|SSLv3)\b'), 'Python ssl.PROTOCOL_{0}',
     'Use ssl.create_default_context() with minimum_version = ssl.TLSVersion.TLSv1_2.'),
    ('pin', re.compile(r'maximum_version\s*=\s*ssl\.TLSVersion\.(TLSv1|TLSv1_1|SSLv3)\b'), 'Python maximum_version {0}', 'Remove the maximum_version limit.'),
    ('allow', re.compile(r'minimum_version\s*=\s*ssl\.TLSVersion\.(TLSv1|TLSv1_1|SSLv3|MINIMUM_SUPPORTED)\b'), 'Python minimum_version {0}',
     'Set minimum_version = ssl.TLSVersion.TLSv1_2.'),
    ('pin', re.compile(r'--tls-max[ =]+[\'"]?(1\.0|1\.1)\b'), 'curl --tls-max {0}', 'Drop --tls-max or set it to 1.3; use --tlsv1.2.'),
    ('allow', re.compile(r'(?<![\w-])--(tlsv1(?:\.0|\.1)?)(?![\w.])'), 'curl --{0} (minimum below TLS 1.2)', 'Use --tlsv1.2.'),
    ('pin', re.compile(r'imap_open\s*\([^;]*?\{[^}\n]*/tls\b'), 'PHP imap_open with /tls (c-client uses TLS 1.0 only)',
     'Use /ssl on port 993 with an OpenSSL-1.1-aware c-client, or move to a maintained IMAP library.'),
    ('pin', re.compile(r'\bSTREAM_CRYPTO_METHOD_(TLSv1_0|TLSv1_1|SSLv3)_CLIENT\b'), 'PHP STREAM_CRYPTO_METHOD_{0}_CLIENT',
     'Use STREAM_CRYPTO_METHOD_TLSv1_2_CLIENT | STREAM_CRYPTO_METHOD_TLSv1_3_CLIENT.'),
    ('allow', re.compile(r'\bSTREAM_CRYPTO_METHOD_TLS_CLIENT\b'), 'PHP STREAM_CRYPTO_METHOD_TLS_CLIENT (TLS 1.0 only in PHP 5.6.7 to 7.1)',
     'Use STREAM_CRYPTO_METHOD_TLSv1_2_CLIENT.'),
    ('pin', re.compile(r'''mail\.(?:imaps?|pop3s?|smtps?)\.ssl\.protocols['"]?\s*[=:,]\s*['"]?((?:\s*(?:TLSv1(?:\.1)?|SSLv3)\b)+)['"]?(?!\s*TLSv1\.[23])'''),
     'JavaMail ssl.protocols {0}', 'Set mail.<protocol>.ssl.protocols to "TLSv1.2 TLSv1.3".'),
    ('pin', re.compile(r'jdk\.tls\.client\.protocols\s*=\s*["\']?((?:TLSv1(?:\.1)?|SSLv3)(?:,(?:TLSv1(?:\.1)?|SSLv3))*)\b(?![.,]\d|,TLSv1\.[23])'),
     'Java jdk.tls.client.protocols={0}', 'Use -Djdk.tls.client.protocols=TLSv1.2,TLSv1.3.'),
    ('pin', re.compile(r'\b(TLSv1_client_method|TLSv1_1_client_method|SSLv3_client_method)\b'), 'OpenSSL {0}()',
     'Use TLS_client_method() with a TLS 1.2 minimum.'),
    ('pin', re.compile(r'\bs_client\b[^\n]*\s(-tls1|-tls1_1|-ssl3)\b'), 'openssl s_client {0}', 'Use -tls1_2 or no version option.'),
    ('pin', re.compile(r'SecurityProtocolType\]::(Tls|Tls11|Ssl3)\b(?![^\n]*Tls1[23])'), '.NET SecurityProtocolType::{0}',
     'Use [Net.SecurityProtocolType]::Tls12 (or leave the OS default with SystemDefault).'),
)
_SCRIPT_ENDPOINT = re.compile(r'\b([a-z0-9]+-legacy\.office365\.com)\b', re.I)


def _script_candidates(paths, limit=SCRIPT_MAX_FILES):
    count = 0
    for root in paths:
        if os.path.isfile(root):
            yield root
            count += 1
            continue
        for folder, dirs, files in os.walk(root, followlinks=False):
            dirs[:] = sorted(d for d in dirs if d not in ('.git', '.hg', '.svn', 'node_modules', '__pycache__', '.venv', '.tox'))
            for name in sorted(files):
                path = os.path.join(folder, name)
                if os.path.islink(path):
                    continue
                if not name.lower().endswith(SCRIPT_EXTENSIONS) and '.' in name:
                    continue
                count += 1
                if count > limit:
                    return
                yield path


def scan_text_for_pins(text):
    """[(kind, line, label, fix)] for legacy TLS pins found in source text; labels carry no surrounding code."""
    hits = []
    starts = [0] + [m.end() for m in re.finditer('\n', text)]

    def line_of(pos):
        return bisect.bisect_right(starts, pos)

    for kind, regex, label, fix in _SCRIPT_RULES:
        for match in regex.finditer(text):
            value = re.sub(r'\s+', ' ', match.group(1).strip()) if match.groups() and match.group(1) else ''
            hits.append((kind, line_of(match.start()), label.format(value), fix))
    for match in _SCRIPT_ENDPOINT.finditer(text):
        hits.append(('endpoint', line_of(match.start()), match.group(1).lower(), None))
    return hits


def scan_scripts(document, paths, max_file_bytes=DEFAULT_MAX_FILE_BYTES):
    """Report-only scan: one finding per file and kind, evidence per line; returns the hit count."""
    total = 0
    for path in _script_candidates(paths):
        result = read_file(path, max_bytes=max_file_bytes)
        if result.data is None or b'\x00' in result.data[:4096]:
            continue
        base = os.path.basename(path)
        text = mf.decode(result.data)
        if '.' not in base and not text.startswith('#!'):
            continue
        hits = scan_text_for_pins(text)
        if not hits:
            continue
        total += len(hits)
        subject = 'script:%s' % path
        record = {'id': 'script:%s' % path, 'client': 'script', 'user': None, 'path': path, 'line': hits[0][1], 'library': None,
                  'servers': [], 'settings': {'pins': ['line %d: %s' % (h[1], h[2]) for h in hits][:50]}, 'report_only': True}
        document['clients'].append(record)
        for kind, line, label, fix in hits:
            ev = [_posture.evidence('file', path=path, line=line, note=label)]
            if kind == 'endpoint':
                _posture.add_finding(document, _posture.make_finding('script_legacy_endpoint', subject + ':' + label, ev, host=label))
            elif kind == 'pin':
                _posture.add_finding(document, _posture.make_finding('script_pins_legacy_tls', subject, ev, what=label, fix=fix))
            else:
                _posture.add_finding(document, _posture.make_finding('script_allows_legacy_tls', subject, ev, what=label, fix=fix))
    return total


# ---------------------------------------------------------------------------
# remediation planning (used by the mail_client_tls module)
# ---------------------------------------------------------------------------

def remediation_context(toolbox=None):
    return _context(toolbox or Toolbox())


# A safety net under the format parsers: any line, commented out or not, whose key names a
# credential gets its value masked in diffs and messages (a "#password old" line is still a secret).
_CREDENTIAL_LINE = re.compile(
    r'(?im)^[ \t]*[#;!%"]*[ \t]*(?:set[ \t]+)?'
    r'(?:[\w.-]*[_.-])?(?:pass|passwd|password|passwordeval|passcmd|pass_?cmd|secret|client_secret|token|refresh_token|oauth2?_[\w]*)'
    r'[ \t]*(?:=|:|[ \t])[ \t]*(\S[^\r\n]*)')


def credential_line_spans(text):
    return [match.span(1) for match in _CREDENTIAL_LINE.finditer(text or '')]


def secret_spans(parsed, text=None):
    return list(parsed.secrets) + credential_line_spans(text)


def redacted_text(fmt, data):
    """The text of a file with its secrets masked; an unknown or unreadable format is masked as a whole."""
    text = mf.decode(data)
    if fmt is None or fmt not in mf.EDITABLE:
        return '(%d bytes, content not shown)' % len(data)
    parsed = mf.parse(fmt, text, {})
    if not parsed.ok:
        return '(%d bytes, content not shown: not understood)' % len(data)
    return mf.redact(text, secret_spans(parsed, text))


def plan_file(path, fmt, options, context, max_file_bytes=DEFAULT_MAX_FILE_BYTES):
    """Plan one file.  Returns a dict with status, changes, before/after bytes and redacted texts.

    status: changed, unchanged, unparsable, unreadable, missing, unknown_format, not_editable.
    """
    result = read_file(path, max_bytes=max_file_bytes)
    item = {'path': path, 'format': fmt, 'status': None, 'changes': [], 'msg': None}
    if result.data is None:
        item['status'] = 'missing' if result.status == 'missing' else 'unreadable'
        item['msg'] = result.error
        return item
    if fmt is None:
        fmt = detect_format(path, result.data)
        item['format'] = fmt
    if fmt is None:
        item['status'] = 'unknown_format'
        item['msg'] = 'not a configuration file of a supported mail client; left untouched'
        return item
    if fmt not in mf.EDITABLE:
        item['status'] = 'not_editable'
        item['msg'] = '%s files hold no TLS settings' % fmt
        return item
    text = mf.decode(result.data)
    opts = dict(options)
    opts.update(context)
    parsed = mf.parse(fmt, text, context)
    if not parsed.ok:
        item['status'] = 'unparsable'
        item['msg'] = '; '.join(parsed.errors) + '; left untouched'
        return item
    edits = mf.plan_edits(parsed, opts)
    new_text = mf.apply_edits(text, edits)
    after = mf.parse(fmt, new_text, context)
    if not after.ok:
        item['status'] = 'unparsable'
        item['msg'] = 'the planned edit would not parse (%s); left untouched' % '; '.join(after.errors)
        return item
    item['before'] = result.data
    item['after'] = mf.encode(new_text)
    item['sha256'] = sha256_bytes(result.data)
    item['mode'] = '%04o' % stat.S_IMODE(result.stat.st_mode)
    item['changes'] = ['line %s: %s' % (e.line, e.description) for e in sorted(edits, key=lambda e: e.start)]
    item['before_redacted'] = mf.redact(text, secret_spans(parsed, text))
    item['after_redacted'] = mf.redact(new_text, secret_spans(after, new_text))
    item['status'] = 'changed' if item['after'] != item['before'] else 'unchanged'
    if fmt == 'thunderbird_prefs':
        folder = os.path.dirname(path)
        if os.path.lexists(os.path.join(folder, 'lock')) or os.path.lexists(os.path.join(folder, '.parentlock')):
            item['warning'] = 'Thunderbird may be running with this profile; it rewrites prefs.js on exit, so close it first'
    return item


def targets_for_paths(paths):
    """Expand explicit paths: a profiles.ini or profile folder gives its prefs.js / user.js."""
    out = []
    for path in paths:
        if os.path.isdir(path):
            for name, fmt in (('prefs.js', 'thunderbird_prefs'), ('user.js', 'thunderbird_user')):
                if os.path.isfile(os.path.join(path, name)):
                    out.append({'path': os.path.join(path, name), 'format': fmt, 'user': None})
            continue
        fmt = detect_format(path)
        if fmt == 'thunderbird_profiles':
            for item in thunderbird_profile_files(path):
                out.append({'path': item['path'], 'format': item['format'], 'user': None})
            continue
        out.append({'path': path, 'format': fmt, 'user': None})
    return out


# ---------------------------------------------------------------------------
# Windows
# ---------------------------------------------------------------------------

WINDOWS_RAW_SHAPE = """
{
  "mail_handlers": {"default": "Microsoft Outlook", "names": ["Microsoft Outlook", "Mozilla Thunderbird"]},
  "user_mail_handlers": [{"user": "DOMAIN\\\\alice", "default": "Mozilla Thunderbird"}],
  "outlook": [{"version": "16.0.17928.20114", "bitness": "x64", "source": "ClickToRun", "path": "C:\\\\...\\\\OUTLOOK.EXE",
               "product_ids": "O365ProPlusRetail"}],
  "outlook_accounts": [{"user": "alice", "profile": "Outlook", "account": "alice@contoso.com",
                        "imap_server": "imap-legacy.office365.com", "pop3_server": null, "smtp_server": "smtp.office365.com",
                        "imap_port": 993, "pop3_port": null, "smtp_port": 587}],
  "thunderbird": {"installs": [{"path": "C:\\\\Program Files\\\\Mozilla Thunderbird\\\\thunderbird.exe", "version": "115.9.0", "bitness": "x64"}],
                  "policy_files": [{"path": "...\\\\distribution\\\\policies.json", "content": "{...}"}],
                  "policy_registry": {"SSLVersionMin": "tls1.2", "SSLVersionMax": null}},
  "thunderbird_profiles": [{"user": "alice", "profiles_ini": "C:\\\\Users\\\\alice\\\\AppData\\\\Roaming\\\\Thunderbird\\\\profiles.ini",
                            "profile": "C:\\\\...\\\\Profiles\\\\abcd.default-release", "name": "default-release",
                            "prefs_js": "<text of prefs.js or null>", "user_js": "<text of user.js or null>",
                            "compatibility_version": "115.9.0", "locked": false}]
}
"""


def clients_from_windows_raw(raw, document=None):
    """Interpret the Windows mail client inventory (shape: WINDOWS_RAW_SHAPE).

    Returns the list of client records; when ``document`` is given they are
    appended to it with their findings (Outlook is judged by the ``schannel``
    stack of the same document, Thunderbird by its own preferences).
    """
    raw = raw or {}
    doc = document if document is not None else {'stacks': [], 'clients': [], 'findings': []}
    records = []
    handlers = raw.get('mail_handlers') or {}
    handler_names = list(handlers.get('names') or [])
    schannel = _library_stack(doc, 'schannel')
    for index, outlook in enumerate(raw.get('outlook') or []):
        entry = mf.new_entry('Outlook', None)
        for proto in mf.PROTOS:
            entry['versions'][proto] = ('lib', 'Outlook leaves the TLS versions to SCHANNEL', [])
        entry['auth'] = None
        for acct in raw.get('outlook_accounts') or []:
            for service, key in (('imap', 'imap_server'), ('pop3', 'pop3_server'), ('smtp', 'smtp_server')):
                host = acct.get(key)
                if host:
                    port = acct.get(service + '_port')
                    entry['servers'].append(mf.server(host, port if isinstance(port, int) else None, service, None, None))
        info = {'library': 'schannel', 'library_source': 'Outlook uses SCHANNEL'}
        settings = {'version': outlook.get('version'), 'bitness': outlook.get('bitness'), 'source': outlook.get('source'),
                    'default_handler': handlers.get('default') == 'Microsoft Outlook'}
        record = build_client(doc, 'outlook', None, outlook.get('path') or 'Outlook', entry, info, settings)
        record['id'] = 'outlook:%d' % index
        if schannel is None:
            record['protocols'] = combine(entry, 'schannel', None, record['path'])
        records.append((record, entry))
    tb = raw.get('thunderbird') or {}
    policies = {}
    for pol in tb.get('policy_files') or []:
        parsed = mf.parse_policies(pol.get('content') or '')
        if parsed.ok:
            for key in ('min', 'max'):
                if parsed.extra['range'].get(key) and key not in policies:
                    policies[key] = parsed.extra['range'][key]
    reg = tb.get('policy_registry') or {}
    for key, name in (('min', 'SSLVersionMin'), ('max', 'SSLVersionMax')):
        value = mf.POLICY_VERSIONS.get(str(reg.get(name) or '').lower())
        if value:
            policies[key] = value  # registry policy wins over policies.json
    nss = _posture.stack_by_id(doc, 'nss')
    for index, prof in enumerate(raw.get('thunderbird_profiles') or []):
        prefs = mf.parse_prefs(prof.get('prefs_js') or '', 'thunderbird_prefs') if prof.get('prefs_js') is not None else None
        user = mf.parse_prefs(prof.get('user_js') or '', 'thunderbird_user') if prof.get('user_js') is not None else None
        version = _version_tuple(prof.get('compatibility_version') or '')
        entries, rng = mf.thunderbird_entries(prefs if prefs is not None and prefs.ok else None, user if user is not None and user.ok else None,
                                              policies, version)
        low, high, why = rng
        entry = mf.new_entry('profile', None)
        for proto in mf.PROTOS:
            entry['versions'][proto] = ('on' if mf.rank(low) <= mf.rank(proto) <= mf.rank(high) else 'off', why, [])
        for one in entries:
            entry['servers'].extend(one['servers'])
        info = {'library': 'nss', 'library_source': 'Thunderbird bundles NSS'}
        path = (prof.get('profile') or 'profile') + '\\prefs.js'
        record = build_client(doc, 'thunderbird', prof.get('user'), path, entry, info, {'profile_name': prof.get('name'), 'locked': prof.get('locked')})
        record['id'] = 'thunderbird:%s:%d' % (prof.get('user') or '', index)
        if nss is None:
            record['protocols'] = combine(entry, 'nss', None, path)
            for proto in mf.PROTOS:
                if entry['versions'][proto][0] == 'on':
                    record['protocols'][proto] = _posture.decision('allowed', why, [_posture.evidence('file', path=path, note=why)])
        records.append((record, entry))
        for one in entries:
            if one['auth'] == 'password':
                records.append((dict(record, servers=_public_servers(one), _findings_only=True), dict(one, passwords=[])))
    for install in tb.get('installs') or []:
        if not raw.get('thunderbird_profiles'):
            entry = mf.new_entry('Thunderbird', None)
            info = {'library': 'nss', 'library_source': 'Thunderbird bundles NSS'}
            record = build_client(doc, 'thunderbird', None, install.get('path') or 'thunderbird.exe', entry, info,
                                  {'version': install.get('version'), 'bitness': install.get('bitness'), 'note': 'installed, no profile found'})
            records.append((record, entry))
    out = []
    for record, entry in records:
        findings_only = record.pop('_findings_only', False)
        if not findings_only:
            record['settings']['mail_handlers'] = handler_names
            out.append(record)
            if document is not None:
                document['clients'].append(record)
        if document is not None:
            client_findings(document, record, entry)
    return out
