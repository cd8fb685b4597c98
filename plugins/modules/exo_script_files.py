#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailtls.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: exo_script_files
short_description: Find and safely rewrite PowerShell script files on a host (helper of exo_scripts)
version_added: 0.1.0
description:
  - Target-side helper of the M(mailtls.remediation.exo_scripts) action. It does the file system work
    on the host so that the PowerShell parsing and rewriting can run on the controller.
  - With O(state=scan) it walks O(paths), keeps files whose name matches O(patterns) (and, with
    O(sniff_extensionless), extensionless files whose first line looks like PowerShell), skips
    binaries, and returns only the files whose text matches one of the O(prefilter) regular
    expressions, each with its SHA-256, size, owner, group, mode and base64 content.
  - With O(state=write) it writes new content for each entry of O(files) in one call. A file is only
    written when its current SHA-256 equals the one it had when it was scanned; otherwise it is refused
    and left alone. Writes are atomic (temporary file in the same directory, fsync, rename), keep the
    owner, group, mode and extended attributes (SELinux label, POSIX ACL) and leave a backup.
  - On Windows hosts Ansible runs the PowerShell implementation of the same name, which has the same
    options and return values and keeps the file's ACL.
  - Most users call M(mailtls.remediation.exo_scripts) instead of this module.
author:
  - mailtls.remediation contributors (@mailtls)
options:
  state:
    description:
      - V(scan) finds candidate files and returns them with their content.
      - V(write) writes the new content given in O(files).
    type: str
    choices: [scan, write]
    default: scan
  paths:
    description:
      - Files or directories to search with O(state=scan). Shell-style wildcards are expanded
        (for example V(/home/*/scripts)). Paths that do not exist are ignored.
      - When not set, the usual script locations are searched. On Linux these are V(/usr/local/bin),
        V(/usr/local/sbin), V(/usr/local/scripts), V(/opt), V(/srv), V(/etc), V(/root/scripts), V(/root/bin),
        V(/root/.config/powershell), V(/home/*/scripts), V(/home/*/bin) and V(/home/*/.config/powershell).
      - On Windows they are V(C:\\Scripts), V(%ProgramData%\\Scripts), the V(Scripts), V(Documents\\WindowsPowerShell)
        and V(Documents\\PowerShell) folders of every profile under V(C:\\Users), the all-users profile
        scripts in V($PSHOME), and the folders of every script that a scheduled task runs.
    type: list
    elements: path
  exclude:
    description:
      - Wildcards for files and directories to skip. A pattern without a path separator is matched against
        the name of each file and directory, one with a separator against the whole path.
      - Added to the built-in exclusions (version control folders, V(node_modules), installed
        V(ExchangeOnlineManagement) module folders, V(*.bak) backups, and on Linux V(/proc), V(/sys), V(/dev)
        and the PowerShell installation under V(/opt/microsoft)) unless O(use_default_excludes=false).
    type: list
    elements: str
    default: []
  prefilter:
    description:
      - Case-insensitive regular expressions; a file is a candidate when its text matches at least one.
      - When empty, every file that matches O(patterns) is a candidate.
    type: list
    elements: str
    default: []
  include_content:
    description: Whether to return the base64 content of candidate files.
    type: bool
    default: true
  files:
    description:
      - With O(state=write), the files to write.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The file that was scanned.
        type: path
        required: true
      content:
        description: The new content, base64 encoded bytes.
        type: str
        required: true
      expected_sha256:
        description: SHA-256 (hex) of the file as it was scanned. The write is refused when it differs now.
        type: str
        required: true
  write_mode:
    description:
      - V(in_place) replaces the file itself.
      - V(side_by_side) leaves the file alone and writes the new content to a new file next to it, named
        by inserting O(side_by_side_suffix) before the extension (V(connect.ps1) becomes V(connect.exov3.ps1)).
    type: str
    choices: [in_place, side_by_side]
    default: in_place
  side_by_side_suffix:
    description: Text inserted before the extension of side-by-side copies.
    type: str
    default: .exov3
  backup:
    description:
      - Whether to keep a copy of each file before it is replaced (with O(write_mode=side_by_side), a copy
        of an existing side-by-side file that is about to change).
      - The copy is named V(<file>.<timestamp>.bak) and sits next to the file, or under O(backup_dir).
    type: bool
    default: true
  backup_dir:
    description:
      - Directory that receives backups instead of the file's own directory. The file's absolute path is
        recreated below it, so files of the same name never collide.
    type: path
notes:
  - The SHA-256 comparison happens twice, before the backup and again just before the rename, so a
    file changed while the module runs is not overwritten.
  - When the module cannot give the new file the original owner (for example when it does not run as
    root and the file belongs to someone else), the write is refused rather than changing the owner.
extends_documentation_fragment:
  - mailtls.remediation.attributes
  - mailtls.remediation.attributes.dual_platform
  - mailtls.remediation.exo_files
attributes:
  check_mode:
    support: full
    description: With O(state=write), reports what would be written; nothing is changed.
  diff_mode:
    support: none
    description: The M(mailtls.remediation.exo_scripts) action builds the diff on the controller.
seealso:
  - module: mailtls.remediation.exo_scripts
'''

EXAMPLES = r'''
- name: Find scripts that mention Remote PowerShell
  mailtls.remediation.exo_script_files:
    paths: [/opt/automation]
    prefilter: ['New-PSSession', 'UseRPSSession']
    include_content: false
  register: found

- name: Write a new version of one script (refused if it changed since the scan)
  mailtls.remediation.exo_script_files:
    state: write
    files:
      - path: /opt/automation/mailbox-report.ps1
        content: "{{ new_script | b64encode }}"
        expected_sha256: "{{ found.candidates[0].sha256 }}"
    backup_dir: /var/backups/exo-scripts
'''

RETURN = r'''
files_walked:
  description: Number of files looked at while walking.
  returned: state=scan
  type: int
  sample: 20480
files_scanned:
  description: Number of files that matched O(patterns) (or were sniffed as PowerShell) and were read.
  returned: state=scan
  type: int
  sample: 312
bytes_scanned:
  description: Number of bytes read by the prefilter.
  returned: state=scan
  type: int
  sample: 5242880
candidates:
  description: Files that passed the prefilter.
  returned: state=scan
  type: list
  elements: dict
  contains:
    path:
      description: Absolute path.
      type: str
    size:
      description: Size in bytes.
      type: int
    sha256:
      description: SHA-256 of the content, hex.
      type: str
    mode:
      description: Permission bits, octal string (Linux); empty on Windows.
      type: str
    owner:
      description: Owner name (or numeric id when unknown).
      type: str
    group:
      description: Group name (or numeric id when unknown); empty on Windows.
      type: str
    mtime:
      description: Modification time, seconds since the epoch.
      type: float
    bom:
      description: Byte order mark found at the start of the file (V(utf-8), V(utf-16-le), V(utf-16-be)) or empty.
      type: str
    content:
      description: File content, base64. Only with O(include_content=true).
      type: str
  sample:
    - path: /opt/automation/mailbox-report.ps1
      size: 1834
      sha256: 9f2c4e0b5d0a6f3e1c7b8a9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b
      mode: '0750'
      owner: svc-exo
      group: svc-exo
      mtime: 1767225600.0
      bom: ''
      content: IyBDb25uZWN0IHRvIEV4Y2hhbmdlIE9ubGluZQo=
skipped_files:
  description: Files or folders that could not be read or were too large, with the reason (at most 200 entries).
  returned: state=scan
  type: list
  elements: dict
  sample: [{path: /opt/big.ps1, reason: larger than max_file_size}]
skipped_total:
  description: Number of files or folders that could not be read or were too large (RV(skipped_files) lists at most 200).
  returned: state=scan
  type: int
  sample: 1
binary_skipped:
  description: Number of files skipped because they look binary.
  returned: state=scan
  type: int
  sample: 2
results:
  description: One entry per entry of O(files), in the same order.
  returned: state=write
  type: list
  elements: dict
  contains:
    path:
      description: The scanned file.
      type: str
    dest:
      description: The file written (the same as RV(results[].path) for O(write_mode=in_place)).
      type: str
    changed:
      description: Whether the file was (or in check mode would be) written.
      type: bool
    refused:
      description: Whether the write was refused because the file changed since the scan or its owner cannot be kept.
      type: bool
    backup_file:
      description: Backup written, if any.
      type: str
    sha256:
      description: SHA-256 of the content now in RV(results[].dest).
      type: str
    msg:
      description: What happened.
      type: str
  sample:
    - path: /opt/automation/mailbox-report.ps1
      dest: /opt/automation/mailbox-report.ps1
      changed: true
      refused: false
      backup_file: /opt/automation/mailbox-report.ps1.20260101T120000.bak
      sha256: 0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9
      msg: written
refused:
  description: Paths whose write was refused.
  returned: state=write
  type: list
  elements: str
  sample: [/opt/automation/mailbox-report.ps1]
'''

import base64
import binascii
import fnmatch
import glob
import os
import re
import stat
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mailtls.remediation.plugins.module_utils._atomic import (
    OwnerNotKeptError, fsync_dir, sha256_bytes, unlink_quietly, write_temp_like,
)

try:
    import pwd
    import grp
except ImportError:  # pragma: no cover - Windows controller running on_controller
    pwd = None
    grp = None

DEFAULT_PATTERNS = ['*.ps1', '*.psm1', '*.psd1']
DEFAULT_LINUX_PATHS = [
    '/usr/local/bin', '/usr/local/sbin', '/usr/local/scripts', '/opt', '/srv', '/etc',
    '/root/scripts', '/root/bin', '/root/.config/powershell',
    '/home/*/scripts', '/home/*/bin', '/home/*/.config/powershell',
]
DEFAULT_EXCLUDES = [
    '.git', '.svn', '.hg', 'node_modules', '__pycache__', 'ExchangeOnlineManagement', '*.bak',
    '/proc', '/sys', '/dev', '/run', '/opt/microsoft/powershell',
]
MAX_SKIPPED = 200
SNIFF_BYTES = 512
BINARY_PROBE = 8192

_SNIFF_RE = re.compile(
    r'\A(?:\xef\xbb\xbf)?\s*(?:'
    r'#!.*\b(?:pwsh|powershell)(?:\.exe)?\b'
    r'|#requires\b'
    r'|param\s*\('
    r'|\[cmdletbinding\b'
    r'|<#'
    r')',
    re.IGNORECASE,
)


class WriteRefused(Exception):
    """A write that must not happen (stale hash, owner cannot be kept)."""


def _glob_regex(patterns):
    """One case-insensitive regex for a list of shell wildcards, or None."""
    if not patterns:
        return None
    return re.compile('|'.join('(?:%s)' % fnmatch.translate(p) for p in patterns), re.IGNORECASE)


class _Matcher(object):
    """Wildcards split into name patterns and whole-path patterns."""

    def __init__(self, patterns):
        names = [p for p in patterns if '/' not in p and '\\' not in p]
        paths = [p for p in patterns if '/' in p or '\\' in p]
        self.names = _glob_regex(names)
        self.paths = _glob_regex(paths)

    def match(self, name, path):
        if self.names is not None and self.names.match(name):
            return True
        if self.paths is not None and self.paths.match(path):
            return True
        return False


def detect_bom(data):
    if data.startswith(b'\xef\xbb\xbf'):
        return 'utf-8'
    if data.startswith(b'\xff\xfe') and not data.startswith(b'\xff\xfe\x00\x00'):
        return 'utf-16-le'
    if data.startswith(b'\xfe\xff'):
        return 'utf-16-be'
    return ''


def _looks_utf16_without_bom(head):
    """UTF-16 text without a BOM: most odd (LE) or even (BE) bytes are NUL."""
    if len(head) < 4:
        return ''
    sample = head[:BINARY_PROBE - (BINARY_PROBE % 2)]
    half = len(sample) // 2
    if half == 0:
        return ''
    if sample[1::2].count(0) > 0.9 * half and sample[0::2].count(0) < 0.1 * half:
        return 'utf-16-le'
    if sample[0::2].count(0) > 0.9 * half and sample[1::2].count(0) < 0.1 * half:
        return 'utf-16-be'
    return ''


def text_for_prefilter(data):
    """Decode bytes for the prefilter regexes; returns (text or None when binary, bom)."""
    bom = detect_bom(data)
    if bom in ('utf-16-le', 'utf-16-be'):
        return data[2:].decode(bom, 'replace'), bom
    if bom == 'utf-8':
        return data[3:].decode('utf-8', 'replace'), bom
    head = data[:BINARY_PROBE]
    if b'\x00' in head:
        guess = _looks_utf16_without_bom(head)
        if not guess:
            return None, ''
        return data.decode(guess, 'replace'), ''
    try:
        return data.decode('utf-8'), ''
    except UnicodeDecodeError:
        return data.decode('latin-1'), ''


def _owner_names(st):
    owner = str(st.st_uid)
    group = str(st.st_gid)
    if pwd is not None:
        try:
            owner = pwd.getpwuid(st.st_uid).pw_name
        except KeyError:
            pass
    if grp is not None:
        try:
            group = grp.getgrgid(st.st_gid).gr_name
        except KeyError:
            pass
    return owner, group


_REGEX_META = set('.^$*+?{}[]\\|()')
_ESCAPED_LITERALS = set('.-^$*+?{}[]\\|()/#&~ ')


def required_literal(pattern):
    """A substring every match of ``pattern`` must contain (lower case, ASCII, 3+ chars), or None.

    Conservative: a top-level alternation gives None (the regular expression is then always run);
    groups, classes and escapes other than escaped punctuation end a literal run; an atom followed
    by ``?``, ``*`` or ``{`` is dropped from the run because it may be absent.
    """
    if re.search(r'\(\?[a-zA-Z]*x', pattern):
        return None  # verbose mode: white space and comments are not literal
    runs = []
    current = []
    depth = 0
    index = 0
    length = len(pattern)
    while index < length:
        char = pattern[index]
        if char == '\\' and index + 1 < length:
            nxt = pattern[index + 1]
            if depth == 0 and nxt in _ESCAPED_LITERALS:
                current.append(nxt)
            else:
                runs.append(''.join(current))
                current = []
            index += 2
            continue
        if depth == 0 and char not in _REGEX_META:
            current.append(char)
            index += 1
            continue
        if char == '|' and depth == 0:
            return None
        if char in ('?', '*', '{') and depth == 0 and current:
            current.pop()
        runs.append(''.join(current))
        current = []
        if char == '(':
            depth += 1
        elif char == ')':
            depth = max(0, depth - 1)
        elif char == '[':
            close = pattern.find(']', index + 2)
            index = length if close < 0 else close
        elif char == '{':
            close = pattern.find('}', index + 1)
            index = length if close < 0 else close
        index += 1
    runs.append(''.join(current))
    best = max(runs, key=len)
    if len(best) < 3 or any(ord(c) > 127 for c in best):
        return None
    return best.lower()


class Prefilter(object):
    """Case-insensitive regexes, sped up by plain substring tests on the lowered text."""

    def __init__(self, patterns):
        self.gated = []
        self.always = []
        for pattern in patterns:
            regex = re.compile(pattern, re.IGNORECASE | re.MULTILINE)
            literal = required_literal(pattern)
            if literal is None:
                self.always.append(regex)
            else:
                self.gated.append((literal, regex))

    def search(self, text):
        for regex in self.always:
            if regex.search(text):
                return True
        if not self.gated:
            return False
        lowered = text.lower()
        for literal, regex in self.gated:
            if literal in lowered and regex.search(text):
                return True
        return False


class Scanner(object):
    """Walks the tree and applies the cheap tests; state lives here so counters are simple."""

    def __init__(self, patterns=None, exclude=None, use_default_excludes=True, sniff_extensionless=True,
                 prefilter=None, max_file_size=10485760, follow_symlinks=False, include_content=True):
        self.patterns = _Matcher(DEFAULT_PATTERNS if patterns is None else patterns)
        excludes = list(exclude or [])
        if use_default_excludes:
            excludes = DEFAULT_EXCLUDES + excludes
        self.exclude = _Matcher(excludes)
        self.sniff = sniff_extensionless
        self.prefilter = None
        if prefilter:
            self.prefilter = Prefilter(prefilter)
        self.max_file_size = max_file_size
        self.follow_symlinks = follow_symlinks
        self.include_content = include_content
        self.files_walked = 0
        self.files_scanned = 0
        self.bytes_scanned = 0
        self.binary_skipped = 0
        self.skipped = []
        self.skipped_total = 0
        self.candidates = []
        self._seen = set()

    def _skip(self, path, reason):
        self.skipped_total += 1
        if len(self.skipped) < MAX_SKIPPED:
            self.skipped.append({'path': path, 'reason': reason})

    def run(self, roots):
        for root in roots:
            for path in self._expand(root):
                if os.path.isdir(path):
                    self._walk(path)
                elif os.path.isfile(path):
                    self._consider(path, os.path.basename(path), explicit=True)
        self.candidates.sort(key=lambda c: c['path'])
        return self.result()

    @staticmethod
    def _expand(root):
        # a leading ~ is already expanded: by AnsibleModule (paths has elements='path') or by the action plugin
        # for on-controller scans
        if glob.has_magic(root):
            return sorted(glob.glob(root))
        return [root]

    def _walk(self, top):
        stack = [os.path.abspath(top)]
        while stack:
            current = stack.pop()
            real = os.path.realpath(current)
            if real in self._seen:
                continue
            self._seen.add(real)
            try:
                entries = list(os.scandir(current))
            except OSError as exc:
                self._skip(current, 'cannot list: %s' % (exc.strerror or exc))
                continue
            subdirs = []
            for entry in entries:
                if self.exclude.match(entry.name, entry.path):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=self.follow_symlinks):
                        subdirs.append(entry.path)
                        continue
                    if not entry.is_file(follow_symlinks=False):
                        continue
                except OSError:
                    continue
                self._consider(entry.path, entry.name)
            stack.extend(sorted(subdirs, reverse=True))

    def _wanted(self, path, name):
        if self.patterns.match(name, path):
            return True
        if not self.sniff or '.' in name.lstrip('.'):
            return False
        try:
            with open(path, 'rb') as handle:
                head = handle.read(SNIFF_BYTES)
        except (IOError, OSError):
            return False
        bom = detect_bom(head)
        if bom.startswith('utf-16'):
            text = head[2:].decode(bom, 'replace')
        else:
            text = head.decode('latin-1')
        return bool(_SNIFF_RE.match(text))

    def _consider(self, path, name, explicit=False):
        self.files_walked += 1
        path = os.path.abspath(path)
        if not explicit and self.exclude.match(name, path):
            return
        if not explicit and not self._wanted(path, name):
            return
        real = os.path.realpath(path)
        if real in self._seen:
            return
        self._seen.add(real)
        try:
            st = os.stat(path)
        except OSError as exc:
            self._skip(path, 'cannot stat: %s' % (exc.strerror or exc))
            return
        if st.st_size > self.max_file_size:
            self._skip(path, 'larger than max_file_size')
            return
        try:
            with open(path, 'rb') as handle:
                data = handle.read()
        except (IOError, OSError) as exc:
            self._skip(path, 'cannot read: %s' % (exc.strerror or exc))
            return
        self.files_scanned += 1
        self.bytes_scanned += len(data)
        text, bom = text_for_prefilter(data)
        if text is None:
            self.binary_skipped += 1
            return
        if self.prefilter is not None and not self.prefilter.search(text):
            return
        owner, group = _owner_names(st)
        entry = {
            'path': path,
            'size': len(data),
            'sha256': sha256_bytes(data),
            'mode': '%04o' % stat.S_IMODE(st.st_mode),
            'owner': owner,
            'group': group,
            'mtime': st.st_mtime,
            'bom': bom,
        }
        if self.include_content:
            entry['data'] = data
        self.candidates.append(entry)

    def result(self):
        return {
            'files_walked': self.files_walked,
            'files_scanned': self.files_scanned,
            'bytes_scanned': self.bytes_scanned,
            'binary_skipped': self.binary_skipped,
            'skipped_files': self.skipped,
            'skipped_total': self.skipped_total,
            'candidates': self.candidates,
        }


def scan_paths(paths=None, **kwargs):
    """Walk ``paths`` (default: the usual Linux script locations). Candidates carry raw bytes in ``data``."""
    scanner = Scanner(**kwargs)
    return scanner.run(paths if paths else DEFAULT_LINUX_PATHS)


def side_by_side_name(path, suffix):
    directory, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    if not stem:
        stem, ext = name, ''
    return os.path.join(directory, stem + suffix + ext)


def _read(path):
    with open(path, 'rb') as handle:
        return handle.read()


def _atomic_write(dest, data, like_stat, like_path):
    """Temporary file next to ``dest`` with the owner, mode and extended attributes of ``like_path``; refused if the owner cannot be kept."""
    try:
        return write_temp_like(dest, data, like_stat, require_owner=True, xattrs_from=like_path)
    except OwnerNotKeptError:
        raise WriteRefused('cannot keep owner %d:%d of %s (not permitted)' % (like_stat.st_uid, like_stat.st_gid, like_path))


def backup_name(path, backup_dir=None, now=None):
    stamp = time.strftime('%Y%m%dT%H%M%S', time.localtime(now))
    if backup_dir:
        base = os.path.join(backup_dir, os.path.abspath(path).lstrip(os.sep))
    else:
        base = path
    candidate = '%s.%s.bak' % (base, stamp)
    counter = 1
    while os.path.lexists(candidate):
        candidate = '%s.%s.%d.bak' % (base, stamp, counter)
        counter += 1
    return candidate


def _make_backup(path, data, st, backup_dir):
    dest = backup_name(path, backup_dir)
    parent = os.path.dirname(dest)
    if backup_dir and not os.path.isdir(parent):
        os.makedirs(parent, 0o700)
    tmp = _atomic_write(dest, data, st, path)
    os.utime(tmp, (st.st_atime, st.st_mtime))
    os.rename(tmp, dest)
    fsync_dir(parent)
    return dest


def write_one(spec, write_mode='in_place', suffix='.exov3', backup=True, backup_dir=None, check_mode=False):
    """Write one file; never raises for expected refusals, returns a result dict."""
    path = os.path.abspath(spec['path'])
    result = {'path': path, 'dest': path, 'changed': False, 'refused': False, 'backup_file': '', 'sha256': '', 'msg': ''}
    try:
        new = base64.b64decode(spec['content'], validate=True)
    except (binascii.Error, ValueError, TypeError):
        result.update(refused=True, msg='content is not valid base64')
        return result
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
        current = _read(real)
    except (IOError, OSError) as exc:
        result.update(refused=True, msg='cannot read %s: %s' % (path, exc.strerror or exc))
        return result
    if sha256_bytes(current) != spec['expected_sha256'].lower():
        result.update(refused=True, sha256=sha256_bytes(current), msg='file changed since it was scanned; not written')
        return result
    if write_mode == 'side_by_side':
        dest = side_by_side_name(real, suffix)
        result['dest'] = dest
        try:
            existing = _read(dest) if os.path.lexists(dest) else None
        except (IOError, OSError) as exc:
            result.update(refused=True, msg='cannot read %s: %s' % (dest, exc.strerror or exc))
            return result
    else:
        dest = real
        existing = current
    result['sha256'] = sha256_bytes(existing) if existing is not None else ''
    if existing == new:
        result['msg'] = 'already up to date'
        return result
    result['changed'] = True
    if check_mode:
        result['sha256'] = sha256_bytes(new)
        result['msg'] = 'would be written'
        return result
    try:
        if backup and existing is not None:
            dest_stat = os.stat(dest)
            result['backup_file'] = _make_backup(dest, existing, dest_stat, backup_dir)
        tmp = _atomic_write(dest, new, st, real)
        try:
            if sha256_bytes(_read(real)) != spec['expected_sha256'].lower():
                raise WriteRefused('file changed while it was being written; not written')
            os.replace(tmp, dest)
        except BaseException:
            unlink_quietly(tmp)
            raise
        fsync_dir(os.path.dirname(dest))
    except WriteRefused as exc:
        result.update(changed=False, refused=True, msg=str(exc))
        return result
    except (IOError, OSError) as exc:
        result.update(changed=False, refused=True, msg='cannot write %s: %s' % (dest, exc.strerror or exc))
        return result
    result['sha256'] = sha256_bytes(new)
    result['msg'] = 'written'
    return result


def write_files(files, write_mode='in_place', suffix='.exov3', backup=True, backup_dir=None, check_mode=False):
    results = [write_one(spec, write_mode, suffix, backup, backup_dir, check_mode) for spec in files]
    return {
        'results': results,
        'changed': any(r['changed'] for r in results),
        'refused': [r['path'] for r in results if r['refused']],
    }


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', choices=['scan', 'write'], default='scan'),
            paths=dict(type='list', elements='path'),
            patterns=dict(type='list', elements='str', default=DEFAULT_PATTERNS),
            exclude=dict(type='list', elements='str', default=[]),
            use_default_excludes=dict(type='bool', default=True),
            sniff_extensionless=dict(type='bool', default=True),
            prefilter=dict(type='list', elements='str', default=[]),
            max_file_size=dict(type='int', default=10485760),
            follow_symlinks=dict(type='bool', default=False),
            include_content=dict(type='bool', default=True),
            files=dict(type='list', elements='dict', default=[], options=dict(
                path=dict(type='path', required=True),
                content=dict(type='str', required=True),
                expected_sha256=dict(type='str', required=True),
            )),
            write_mode=dict(type='str', choices=['in_place', 'side_by_side'], default='in_place'),
            side_by_side_suffix=dict(type='str', default='.exov3'),
            backup=dict(type='bool', default=True),
            backup_dir=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params['state'] == 'scan':
        for pattern in params['prefilter']:
            try:
                re.compile(pattern)
            except re.error as exc:
                module.fail_json(msg='invalid prefilter regular expression %r: %s' % (pattern, exc))
        result = scan_paths(
            params['paths'],
            patterns=params['patterns'],
            exclude=params['exclude'],
            use_default_excludes=params['use_default_excludes'],
            sniff_extensionless=params['sniff_extensionless'],
            prefilter=params['prefilter'],
            max_file_size=params['max_file_size'],
            follow_symlinks=params['follow_symlinks'],
            include_content=params['include_content'],
        )
        for cand in result['candidates']:
            if 'data' in cand:
                cand['content'] = base64.b64encode(cand.pop('data')).decode('ascii')
        module.exit_json(changed=False, **result)

    if not params['side_by_side_suffix'] or os.sep in params['side_by_side_suffix']:
        module.fail_json(msg='side_by_side_suffix must be a non-empty file name fragment')
    result = write_files(
        params['files'],
        write_mode=params['write_mode'],
        suffix=params['side_by_side_suffix'],
        backup=params['backup'],
        backup_dir=params['backup_dir'],
        check_mode=module.check_mode,
    )
    if result['refused']:
        module.fail_json(msg='%d of %d file(s) were not written: %s' % (len(result['refused']), len(params['files']), ', '.join(result['refused'])),
                         **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
