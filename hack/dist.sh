#!/usr/bin/env bash
# Build the collection tarball with CHANGELOG.rst and CHANGELOG.md generated from
# changelogs/fragments for the version in galaxy.yml.  The release is made in a
# private staging copy: the checkout keeps its fragments until a maintainer releases.
#   hack/dist.sh SOURCE_DIR OUTPUT_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
stage=$(mktemp -d "$out/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
copy=$stage/ansible_collections/mailtls/remediation
mkdir -p "$copy"
cd "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # The files git knows about (tracked, or new and not ignored), as a release would have them.
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    rsync -a --from0 --files-from=- ./ "$copy/"
else
  rsync -a --exclude .venv --exclude build --exclude mailtls-report --exclude tests/output ./ "$copy/"
fi
version=$(sed -n 's/^version: *\([^ #]*\).*/\1/p' "$copy/galaxy.yml" | tr -d "'\"")
[ -n "$version" ] || { echo "dist: no version in galaxy.yml" >&2; exit 1; }
cd "$copy"
# antsibull-changelog reads the files of the git repository it sits in: make the copy its own.
git init -q && git add -A
# antsibull-changelog lists new plugins through ansible-doc, which must find this copy.
ANSIBLE_COLLECTIONS_PATH=$stage ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false \
  antsibull-changelog release --version "$version" --date "${MAILTLS_RELEASE_DATE:-$(date -u +%F)}"
ansible-galaxy collection build --force --output-path "$out" >/dev/null
# A name without the version, for the execution environment definition.
cp "$out/mailtls-remediation-$version.tar.gz" "$out/mailtls-remediation.tar.gz"
echo "dist: $out/mailtls-remediation-$version.tar.gz"
