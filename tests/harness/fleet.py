"""Managed hosts for the fleet tests: Debian root file systems reached through chroot.

Each host of the fleet is a directory holding a whole Debian system, built from
Debian's own archive with ``debootstrap`` and entered with ``chroot``:

* ``build_root(release, packages)`` runs ``debootstrap --variant=minbase`` once
  per checkout and caches the result under ``build/fleet/roots/`` of this
  checkout, keyed by the release and the package list.  The mirror is the one
  this machine's apt configuration uses for Debian (``/etc/apt/sources.list``
  and ``/etc/apt/sources.list.d/``), read at run time.
* ``Fleet`` gives every host of one test session a fresh copy (``cp -a``) of a
  cached root under ``build/fleet/sessions/``, so no test ever changes the
  cache or this machine's own files, and removes the copies at the end.
* Commands run inside a host through ``chroot-exec``, a small wrapper that
  gives each command a private mount and PID namespace (``unshare``) with its
  own ``/proc``: nothing stays mounted when the command ends, and every process
  it started ends with it.  The same wrapper is the ``chroot_exe`` of
  community.general's ``chroot`` connection plugin in the inventory, so Ansible
  runs modules inside the hosts exactly as the tests do.

The hosts share this machine's network namespace: 127.0.0.1 inside a host is
the loopback of the test servers.

Needs root (chroot, mknod in debootstrap, unshare), ``debootstrap`` and
``unshare`` (util-linux).  Every step is bounded in time; a failed build says
which command failed and keeps its log.
"""
import fcntl
import glob
import hashlib
import json
import os
import shutil
import stat
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FLEET_DIR = os.path.join(REPO, 'build', 'fleet')
ROOTS_DIR = os.path.join(FLEET_DIR, 'roots')
SESSIONS_DIR = os.path.join(FLEET_DIR, 'sessions')
# Bump when the way a root is built changes, so old caches are not reused.
BUILD_FORMAT = 2
DEBOOTSTRAP_TIMEOUT = 900
COMMAND_TIMEOUT = 120
COMPLETE_MARK = '.mailtls-fleet-root'
# Debian release code names the builder knows (debootstrap ships a script for each).
RELEASES = ('bullseye', 'bookworm', 'trixie')
APT_SOURCES = ('/etc/apt/sources.list', '/etc/apt/sources.list.d')
STRIP = ('var/cache/apt/archives/*.deb', 'var/cache/apt/*.bin', 'var/lib/apt/lists/*_*',
         'usr/share/doc/*', 'usr/share/man/*', 'usr/share/info/*', 'usr/share/locale/*/LC_MESSAGES')

WRAPPER = """#!/bin/sh
# Run a command inside the host root "$1": private mount and PID namespaces,
# a /proc of its own, nothing left mounted or running when it ends.
# Written by tests/harness/fleet.py.
exec unshare --mount --propagation private --pid --fork --kill-child --mount-proc="$1/proc" chroot "$@"
"""


class FleetError(RuntimeError):
    """A host root could not be built, copied or entered."""


# -- the Debian mirror, from this machine's apt configuration -----------------

def _one_line_sources(text):
    entries = []
    for raw in text.splitlines():
        line = raw.split('#', 1)[0].strip()
        if not line:
            continue
        words = line.split()
        kind = words.pop(0)
        if words and words[0].startswith('['):
            # options such as [arch=amd64 signed-by=...]
            while words and not words[0].endswith(']'):
                words.pop(0)
            if words:
                words.pop(0)
        if len(words) < 2:
            continue
        entries.append({'types': [kind], 'uris': [words[0]], 'suites': [words[1]], 'components': words[2:]})
    return entries


def _deb822_sources(text):
    entries = []
    for stanza in text.replace('\r\n', '\n').split('\n\n'):
        fields = {}
        key = None
        for raw in stanza.split('\n'):
            if raw.startswith('#'):
                continue
            if raw[:1] in (' ', '\t') and key:
                fields[key] += ' ' + raw.strip()
                continue
            if ':' in raw:
                key, value = raw.split(':', 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if not fields.get('uris') or fields.get('enabled', 'yes').lower() == 'no':
            continue
        entries.append({
            'types': fields.get('types', '').split(),
            'uris': fields.get('uris', '').split(),
            'suites': fields.get('suites', '').split(),
            'components': fields.get('components', '').split(),
        })
    return entries


def apt_entries(sources=APT_SOURCES):
    """Every enabled ``deb`` entry of the apt configuration (one-line and deb822 files)."""
    files = []
    for source in sources:
        if os.path.isdir(source):
            files.extend(sorted(glob.glob(os.path.join(source, '*.list')) + glob.glob(os.path.join(source, '*.sources'))))
        elif os.path.isfile(source):
            files.append(source)
    entries = []
    for path in files:
        try:
            with open(path, 'r', errors='replace') as handle:
                text = handle.read()
        except (IOError, OSError):
            continue
        parsed = _deb822_sources(text) if path.endswith('.sources') else _one_line_sources(text)
        entries.extend(e for e in parsed if 'deb' in e['types'])
    return entries


def debian_mirror(sources=APT_SOURCES):
    """The URI this machine's apt uses for Debian's main archive.

    That is an entry for a Debian release suite itself (``bookworm``, not
    ``bookworm-security`` or a third-party suite) with the ``main`` component.
    """
    for entry in apt_entries(sources):
        if 'main' not in entry['components']:
            continue
        if not any(suite in RELEASES or suite in ('stable', 'oldstable', 'testing', 'unstable', 'sid')
                   for suite in entry['suites']):
            continue
        for uri in entry['uris']:
            if uri.startswith(('http://', 'https://', 'file:/')):
                return uri.rstrip('/')
    raise FleetError('no Debian archive (a "deb" entry for one of %s with component main) in %s'
                     % (', '.join(RELEASES), ', '.join(sources)))


# -- building and caching roots ------------------------------------------------

def cache_key(release, packages):
    blob = json.dumps({'format': BUILD_FORMAT, 'release': release, 'variant': 'minbase',
                       'packages': sorted(set(packages))}, sort_keys=True)
    return hashlib.sha256(blob.encode('utf-8')).hexdigest()[:16]


def root_path(release, packages):
    return os.path.join(ROOTS_DIR, '%s-%s' % (release, cache_key(release, packages)))


def _run_bounded(argv, timeout, log_path=None, env=None):
    """Run argv in its own session; kill the whole group when the time is up."""
    log = open(log_path, 'ab') if log_path else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(30)
            raise FleetError('%s did not finish within %ds%s' % (
                ' '.join(argv[:6]), timeout, ('; log: %s' % log_path) if log_path else ''))
    finally:
        if log_path:
            log.close()


def _tail(path, lines=30):
    try:
        with open(path, 'r', errors='replace') as handle:
            return ''.join(handle.readlines()[-lines:])
    except (IOError, OSError):
        return ''


def check_prerequisites():
    """None when roots can be built and entered here, else the reason why not."""
    if os.geteuid() != 0:
        return 'the fleet hosts need root (debootstrap, chroot and unshare); running as uid %d' % os.geteuid()
    for tool in ('debootstrap', 'chroot', 'unshare'):
        if not shutil.which(tool) and not os.path.exists('/usr/sbin/' + tool):
            return '%s is not installed' % tool
    return None


def build_root(release, packages, timeout=DEBOOTSTRAP_TIMEOUT, mirror=None):
    """Path of a cached root of ``release`` with ``packages``; builds it when missing.

    Returns ``(path, seconds_spent_building)``; 0 seconds means it came from the
    cache.  A lock file makes parallel test processes wait for one build.
    """
    if release not in RELEASES:
        raise FleetError('unknown Debian release %r (known: %s)' % (release, ', '.join(RELEASES)))
    reason = check_prerequisites()
    if reason:
        raise FleetError(reason)
    target = root_path(release, packages)
    os.makedirs(ROOTS_DIR, exist_ok=True)
    with open(target + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(os.path.join(target, COMPLETE_MARK)):
            return target, 0.0
        started = time.monotonic()
        mirror = mirror or debian_mirror()
        partial = '%s.partial-%d' % (target, os.getpid())
        log_path = target + '.log'
        for stale in glob.glob(target + '.partial-*') + [target]:
            shutil.rmtree(stale, ignore_errors=True)
        with open(log_path, 'w') as log:
            log.write('debootstrap %s from %s with %s\n' % (release, mirror, ','.join(sorted(packages))))
        argv = ['unshare', '--mount', '--propagation', 'private',
                'debootstrap', '--variant=minbase', '--components=main',
                '--include=%s' % ','.join(sorted(set(packages))), release, partial, mirror]
        env = dict(os.environ, DEBIAN_FRONTEND='noninteractive', LC_ALL='C')
        # debootstrap mounts /proc and /sys into the new root; the private mount
        # namespace of unshare drops those mounts whatever way it ends.
        rc = _run_bounded(argv, timeout, log_path, env)
        if rc != 0:
            raise FleetError('debootstrap of %s into %s failed (exit %d); last lines of %s:\n%s'
                             % (release, partial, rc, log_path, _tail(log_path)))
        # Smaller, faster copies: downloaded packages, package lists, documentation
        # and translations are not part of what the tests look at.
        for pattern in STRIP:
            for entry in glob.glob(os.path.join(partial, pattern)):
                if os.path.isdir(entry) and not os.path.islink(entry):
                    shutil.rmtree(entry)
                else:
                    os.unlink(entry)
        with open(os.path.join(partial, COMPLETE_MARK), 'w') as mark:
            json.dump({'release': release, 'packages': sorted(set(packages)), 'format': BUILD_FORMAT,
                       'seconds': round(time.monotonic() - started, 1)}, mark)
        os.rename(partial, target)
        return target, time.monotonic() - started


# -- hosts of one session --------------------------------------------------------

def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1 << 16), b''):
            digest.update(block)
    return digest.hexdigest()


class Host(object):
    """One managed host: a private copy of a cached root."""

    def __init__(self, fleet, name, release, root, wrapper):
        self.fleet = fleet
        self.name = name
        self.release = release
        self.root = root
        self.wrapper = wrapper
        self.vars = {}

    def __repr__(self):
        return 'Host(%s, %s)' % (self.name, self.release)

    def path(self, inside):
        """Where the host's ``inside`` path is on this machine (never follows the host's symlinks out)."""
        return os.path.join(self.root, inside.lstrip('/'))

    def run(self, argv, user=None, env=None, timeout=COMMAND_TIMEOUT, input_text=None):
        """Run argv inside the host; returns (rc, combined output).

        ``user`` is a ``uid:gid`` pair (numeric, resolved in the host's passwd).
        """
        cmd = [self.wrapper, self.root]
        if user:
            uid, gid = user.split(':')
            cmd += ['setpriv', '--reuid', uid, '--regid', gid, '--clear-groups', '--']
        base_env = {'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LC_ALL': 'C',
                    'HOME': '/root'}
        base_env.update(env or {})
        cmd.append('env')
        cmd.extend('%s=%s' % item for item in sorted(base_env.items()))
        cmd.extend(argv)
        proc = subprocess.run(cmd, input=(input_text or '').encode('utf-8'), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout, check=False, env={'PATH': os.environ.get('PATH', '')})
        return proc.returncode, proc.stdout.decode('utf-8', 'replace')

    def must(self, argv, **kwargs):
        rc, out = self.run(argv, **kwargs)
        if rc != 0:
            raise FleetError('%s: %s exited %d: %s' % (self.name, ' '.join(argv), rc, out[-2000:]))
        return out

    def write(self, inside, text, mode=0o644, owner=None):
        """Write a file of the host; ``owner`` is (uid, gid)."""
        path = self.path(inside)
        if os.path.islink(path):
            os.unlink(path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as handle:
            handle.write(text)
        os.chmod(path, mode)
        if owner:
            os.chown(path, owner[0], owner[1])
        return path

    def read(self, inside):
        with open(self.path(inside), 'r', errors='replace') as handle:
            return handle.read()

    def add_user(self, name, uid):
        self.must(['useradd', '--create-home', '--uid', str(uid), '--user-group', '--shell', '/bin/sh', name])
        return uid, uid

    def snapshot(self, tops=('/etc', '/home', '/root')):
        """{path inside the host: (kind, mode, uid, gid, sha256 or link target)} for every entry under ``tops``."""
        result = {}
        for top in tops:
            start = self.path(top)
            for dirpath, dirnames, filenames in os.walk(start):
                for entry in dirnames + filenames:
                    full = os.path.join(dirpath, entry)
                    inside = '/' + os.path.relpath(full, self.root)
                    info = os.lstat(full)
                    if stat.S_ISLNK(info.st_mode):
                        content = os.readlink(full)
                        kind = 'link'
                    elif stat.S_ISREG(info.st_mode):
                        content = sha256_file(full)
                        kind = 'file'
                    elif stat.S_ISDIR(info.st_mode):
                        content = ''
                        kind = 'dir'
                    else:
                        content = ''
                        kind = 'other'
                    result[inside] = (kind, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid, content)
        return result

    def inventory_line(self):
        words = [self.name, 'ansible_host=%s' % self.root, 'ansible_connection=community.general.chroot',
                 'ansible_chroot_exe=%s' % self.wrapper, 'ansible_python_interpreter=/usr/bin/python3']
        return ' '.join(words)


def remove_stale_sessions():
    """Remove the copies of sessions whose test process is gone (killed before it could clean up)."""
    for entry in os.listdir(SESSIONS_DIR):
        parts = entry.rsplit('-', 2)
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        try:
            os.kill(int(parts[1]), 0)
        except OSError:
            shutil.rmtree(os.path.join(SESSIONS_DIR, entry), ignore_errors=True)


class Fleet(object):
    """The hosts of one test session, each a fresh copy of a cached root."""

    def __init__(self, label='session'):
        reason = check_prerequisites()
        if reason:
            raise FleetError(reason)
        os.makedirs(SESSIONS_DIR, exist_ok=True)
        remove_stale_sessions()
        self.dir = os.path.join(SESSIONS_DIR, '%s-%d-%d' % (label, os.getpid(), int(time.time() * 1000)))
        os.makedirs(self.dir)
        self.wrapper = os.path.join(self.dir, 'chroot-exec')
        with open(self.wrapper, 'w') as handle:
            handle.write(WRAPPER)
        os.chmod(self.wrapper, 0o755)
        self.hosts = []
        self.timings = {'build': {}, 'copy': {}}

    def add(self, name, release, packages):
        host = self._copy(name, release, packages)
        self.hosts.append(host)
        return host

    def _build(self, release, packages):
        source, seconds = build_root(release, packages)
        key = '%s-%s' % (release, cache_key(release, packages))
        self.timings['build'][key] = max(seconds, self.timings['build'].get(key, 0.0))
        return source

    def _copy(self, name, release, packages):
        source = self._build(release, packages)
        started = time.monotonic()
        root = os.path.join(self.dir, name)
        proc = subprocess.run(['cp', '-a', '--reflink=auto', source, root], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=COMMAND_TIMEOUT, check=False)
        if proc.returncode != 0:
            raise FleetError('copying %s to %s failed: %s' % (source, root, proc.stdout.decode('utf-8', 'replace')))
        os.unlink(os.path.join(root, COMPLETE_MARK))
        self.timings['copy'][name] = time.monotonic() - started
        return Host(self, name, release, root, self.wrapper)

    def add_all(self, specs, workers=3):
        """``add`` for each (name, release, packages), roots built and copied in parallel; hosts keep the order given."""
        releases = dict(((release, tuple(sorted(packages))), packages) for unused, release, packages in specs)
        with ThreadPoolExecutor(max_workers=len(releases)) as pool:
            list(pool.map(lambda key: self._build(key[0], releases[key]), releases))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            hosts = list(pool.map(lambda spec: self._copy(*spec), specs))
        self.hosts.extend(hosts)
        return hosts

    def __getitem__(self, name):
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(name)

    def write_inventory(self, path, groups=None, group_vars=None):
        """An INI inventory with every host (in the order they were added) in group ``fleet``."""
        lines = ['[fleet]'] + [host.inventory_line() for host in self.hosts]
        for group, names in sorted((groups or {}).items()):
            lines += ['', '[%s]' % group] + list(names)
        with open(path, 'w') as handle:
            handle.write('\n'.join(lines) + '\n')
        if group_vars:
            folder = os.path.join(os.path.dirname(path), 'group_vars')
            os.makedirs(folder, exist_ok=True)
            for group, values in group_vars.items():
                with open(os.path.join(folder, '%s.json' % group), 'w') as handle:
                    json.dump(values, handle, indent=1)
        host_folder = os.path.join(os.path.dirname(path), 'host_vars')
        os.makedirs(host_folder, exist_ok=True)
        for host in self.hosts:
            if host.vars:
                with open(os.path.join(host_folder, '%s.json' % host.name), 'w') as handle:
                    json.dump(host.vars, handle, indent=1)
        return path

    def cleanup(self):
        """Remove the session's copies (nothing is mounted: every mount lived in a private namespace)."""
        shutil.rmtree(self.dir, ignore_errors=True)
