#!/usr/bin/env bash
# Let ansible-test bootstrap pip in its sanity virtualenvs without its download
# host: place our stand-in where ansible-test looks for a cached get-pip script.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${VENV:-$here/../.venv}
reqs=$("$venv/bin/python" -c 'import ansible_test, os; print(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py"))')
version=$(sed -n "s/^ *pip='\([0-9.]*\)',.*/\1/p" "$reqs" | head -n1)
[ -n "$version" ] || { echo "cannot find the pip version ansible-test wants in $reqs" >&2; exit 1; }
# The caller chooses HOME (the Makefile gives each checkout its own).
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
install -m 0644 "$here/get_pip_standin.py" "$cache/get_pip_${version//./_}.py"
