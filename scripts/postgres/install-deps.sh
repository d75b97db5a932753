#!/usr/bin/env bash
# Install Debian's postgresql when missing. Idempotent: a no-op (no apt-get update) when it is installed.
# The package's own cluster is never left running: the tests start their own server from a temp folder.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../mail-lab/lib.sh"
[[ -z $(deps_missing postgresql) ]] && exit 0
deps_apt_install postgres postgresql >/dev/null
deps_check_installed postgres postgresql
echo "postgres deps: done" >&2
