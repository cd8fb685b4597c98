#!/usr/bin/env bash
# Prepare this machine for `make run` / `make test`: Debian packages, then a
# virtualenv with the controller and test requirements.  Safe to re-run: it only
# installs what is missing.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$here/.venv}
python=${PYTHON:-python3}

# Packages the tests drive for real: OpenSSL and GnuTLS command line tools,
# Dovecot as the IMAP/POP3 server, the mail clients, and a browser for the report.
debs=(openssl gnutls-bin curl git rsync strace
      dovecot-core dovecot-imapd dovecot-pop3d
      fetchmail mutt neomutt isync msmtp offlineimap3 getmail6 imapfilter
      postfix
      debootstrap shellcheck
      chromium)
if [ "${MAILTLS_SKIP_APT:-0}" != 1 ] && command -v apt-get >/dev/null; then
  missing=()
  for p in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Postfix is driven from private configuration directories by the tests: the
    # system instance gets no configuration and stays stopped.
    echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The distribution starts Dovecot on install; the tests run their own instances.
    for unit in dovecot postfix; do
      if command -v systemctl >/dev/null && systemctl is-active -q "$unit" 2>/dev/null; then
        systemctl stop "$unit" || true
      fi
    done
  fi
fi

# Exim conflicts with Postfix (both are a mail-transport-agent): the tests run
# Debian's Exim unpacked under build/exim from a private configuration
# (tests/harness/exim.py), never installed.
if [ "${MAILTLS_SKIP_APT:-0}" != 1 ] && command -v apt-get >/dev/null && [ ! -x "$here/build/exim/root/usr/sbin/exim4" ]; then
  echo "bootstrap: unpacking Debian's Exim into build/exim"
  mkdir -p "$here/build/exim/debs"
  (cd "$here/build/exim/debs" && apt-get download -qq exim4-daemon-light exim4-base exim4-config)
  for deb in "$here"/build/exim/debs/*.deb; do dpkg-deb -x "$deb" "$here/build/exim/root"; done
fi

if ! "$python" -m venv --help >/dev/null 2>&1; then
  apt-get install -y -qq python3-venv >/dev/null
fi
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
stamp="$venv/.requirements.sha"
want=$(cat "$here/requirements.txt" "$here/tests/requirements.txt" | sha256sum | cut -d' ' -f1)
# This machine's pip configuration names local mirrors that may be absent; their
# "Location ... is ignored" warnings are noise, everything else is shown.
quiet() { grep -v "is ignored: it is neither a file nor a directory" || true; }
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: installing Python requirements into $venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    -r "$here/requirements.txt" -r "$here/tests/requirements.txt" 2>&1 | quiet
  "$venv/bin/python" -c 'import ansible, ansible_collections.ansible.windows, tree_sitter_pwsh, jsonschema'
  echo "$want" > "$stamp"
fi
