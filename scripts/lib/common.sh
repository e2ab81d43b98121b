# Shared by scripts/start and scripts/test: venv creation and system packages. Idempotent.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

find_python() {
  for cand in python3.13 python3.12 python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$cand"; return 0
    fi
  done
  echo "retrowalk needs Python 3.11 or newer" >&2
  return 1
}

# ensure_venv EXTRAS: create .venv and (re)install the project only when pyproject.toml changed.
ensure_venv() {
  local extras="$1" stamp want
  if [ ! -x "$PY" ]; then
    log "creating .venv"
    "$(find_python)" -m venv "$VENV"
    "$PY" -m pip install -q --upgrade pip
  fi
  want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)-$extras"
  stamp="$VENV/.retrowalk-installed"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "installing retrowalk[$extras] into .venv"
    "$PY" -m pip install -q -e "$ROOT[$extras]"
    echo "$want" > "$stamp"
  fi
}

have_root() { [ "$(id -u)" = "0" ] || (command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null); }
as_root() { if [ "$(id -u)" = "0" ]; then "$@"; else sudo -n "$@"; fi; }

# ensure_apt PKG:CHECK ... : install Debian packages whose check command fails.
ensure_apt() {
  local missing=() spec pkg check
  for spec in "$@"; do
    pkg="${spec%%:*}"; check="${spec#*:}"
    if ! eval "$check" >/dev/null 2>&1; then missing+=("$pkg"); fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! have_root; then
    log "missing system packages (${missing[*]}); not root, so the tests that need them will skip"
    return 0
  fi
  log "installing system packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Fonts and Pango for WeasyPrint reports (needed by start too).
ensure_report_packages() {
  ensure_apt \
    "libpango-1.0-0:ldconfig -p | grep -q libpango-1.0" \
    "libpangoft2-1.0-0:ldconfig -p | grep -q libpangoft2-1.0" \
    "fonts-dejavu-core:test -d /usr/share/fonts/truetype/dejavu"
}

# Everything the full test suite drives: browser, PDF rasteriser, PostgreSQL server.
ensure_test_packages() {
  ensure_report_packages
  ensure_apt \
    "chromium:command -v chromium" \
    "poppler-utils:command -v pdftoppm" \
    "postgresql:ls /usr/lib/postgresql/*/bin/initdb"
}
