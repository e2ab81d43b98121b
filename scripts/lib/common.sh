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

# Versions CI tested, for every extra and dependency group; ./scripts/lock regenerates it.
LOCK="$ROOT/requirements.lock"

# _union LIST... : the comma-separated union of comma-separated lists, sorted, without blanks.
_union() { printf '%s\n' "$@" | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -; }

# ensure_python_venv: .venv with a pip that knows dependency groups (PEP 735, pip >= 25.1).
ensure_python_venv() {
  if [ ! -x "$PY" ]; then
    log "creating .venv"
    "$(find_python)" -m venv "$VENV"
  fi
  if ! "$PY" -m pip install --help 2>/dev/null | grep -q -- '--group'; then
    "$PY" -m pip install -q --upgrade 'pip>=25.1'
  fi
}

# ensure_venv EXTRAS [GROUPS]: retrowalk in .venv (editable) with these extras and dependency groups
# (comma-separated), pinned by requirements.lock. The stamp records everything installed so far and
# only ever grows, so start and test never reinstall each other's extras; it is redone when
# pyproject.toml or the lock changes.
ensure_venv() {
  local stamp="$VENV/.retrowalk-installed" digest have="" want extras spec group
  local groups=() args=()
  ensure_python_venv
  digest="$(cat "$ROOT/pyproject.toml" "$LOCK" | sha256sum | cut -d' ' -f1)"
  [ -f "$stamp" ] && have="$(sed -n 2p "$stamp")"
  want="$(_union "$have" "$1" "$(printf '%s' "${2:-}" | tr ',' '\n' | sed '/^$/d; s/^/@/' | paste -sd, -)")"
  if [ -f "$stamp" ] && [ "$(sed -n 1p "$stamp")" = "$digest" ] && [ "$want" = "$have" ]; then
    return 0
  fi
  extras="$(printf '%s' "$want" | tr ',' '\n' | grep -v '^@' | paste -sd, - || true)"
  spec="$ROOT"; [ -n "$extras" ] && spec="$ROOT[$extras]"
  args=(-c "$LOCK" -e "$spec")
  mapfile -t groups < <(printf '%s' "$want" | tr ',' '\n' | sed -n 's/^@//p')
  for group in "${groups[@]}"; do args+=(--group "$ROOT/pyproject.toml:$group"); done
  log "installing retrowalk[${extras}]${groups[*]:+ and groups ${groups[*]}} into .venv (pinned by requirements.lock)"
  if ! "$PY" -m pip install -q "${args[@]}"; then
    log "install failed; if pyproject.toml changed its dependencies, run ./scripts/lock and try again"
    return 1
  fi
  printf '%s\n%s\n' "$digest" "$want" > "$stamp"
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
  _apt update -qq
  _apt install -y -qq --no-install-recommends "${missing[@]}"
}

# _apt ARGS...: apt-get that waits (up to 10 min) for another install to release the package locks
# instead of failing. DPkg::Lock::Timeout covers dpkg's locks; the retry covers the lists lock
# that `apt-get update` takes.
_apt() {
  local waited=0 out rc
  while :; do
    rc=0
    out="$(as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@" 2>&1)" || rc=$?
    if [ "$rc" -eq 0 ]; then return 0; fi
    if [ "$waited" -lt 600 ] && printf '%s' "$out" | grep -q 'Could not get lock'; then
      [ "$waited" -eq 0 ] && log "apt is busy (another install is running); waiting for its lock"
      sleep 5; waited=$((waited + 5)); continue
    fi
    printf '%s\n' "$out" >&2
    return "$rc"
  done
}

# Fonts and Pango for WeasyPrint reports (needed by start too).
ensure_report_packages() {
  ensure_apt \
    "libpango-1.0-0:ldconfig -p | grep -q libpango-1.0" \
    "libpangoft2-1.0-0:ldconfig -p | grep -q libpangoft2-1.0" \
    "fonts-dejavu-core:test -d /usr/share/fonts/truetype/dejavu"
}

# ensure_validation: the `validation` dependency group (the sports2d wheel, 9 MB, whose demo clip the
# real-video test reads) without its dependencies: only the clip is used, never its pose stack
# (Pose2Sim, ONNX Runtime, ...). Pinned by requirements.lock; outside the ensure_venv stamp because it
# is installed --no-deps. Offline or failed: the test that needs it skips, the rest still runs.
ensure_validation() {
  if "$PY" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("Sports2D") is None)' 2>/dev/null; then
    return 0
  fi
  log "installing the validation group without its dependencies (sports2d's demo clip)"
  "$PY" -m pip install -q --no-deps -c "$LOCK" --group "$ROOT/pyproject.toml:validation" \
    || log "could not install the validation group; the real-clip test will skip"
}

# Everything the full test suite drives: browser, PDF rasteriser, PostgreSQL server, the real clip.
ensure_test_packages() {
  ensure_validation
  ensure_report_packages
  ensure_apt \
    "chromium:command -v chromium" \
    "poppler-utils:command -v pdftoppm" \
    "postgresql:ls /usr/lib/postgresql/*/bin/initdb" \
    "redis-server:command -v redis-server"
}
