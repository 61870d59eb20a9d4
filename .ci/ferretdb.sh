#!/usr/bin/env bash
# Builds FerretDB (MongoDB wire protocol over SQLite) once per version, starts it on loopback with a fresh
# state directory (a running instance of ours is replaced) and prints the variables the tests read:
#   env=$(bash .ci/ferretdb.sh) && eval "$env"    # then npm test runs the document layer against it
# Progress goes to stderr; stdout carries only the export lines. Used by .ci/run; idempotent.
set -euo pipefail

VERSION=v1.24.2
PORT=${FERRETDB_PORT:-27017}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/depot-ci/ferretdb-$VERSION
BIN=$CACHE/bin/ferretdb
PIDFILE=${TMPDIR:-/tmp}/depot-ferretdb-$PORT.pid
export PATH=$PATH:/usr/local/go/bin

say() { printf '%s\n' "$*" >&2; }

build() {
  # `go install pkg@version` builds the module zip, which lacks build/version/version.txt: the binary then
  # panics at start. So: download through the module proxy, copy, write the version file, build the copy.
  local dir src
  dir=$(GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@$VERSION" |
    sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  src=$(mktemp -d "${TMPDIR:-/tmp}/ferretdb-src.XXXXXX")
  cp -r "$dir/." "$src" && chmod -R u+w "$src"
  echo "$VERSION" >"$src/build/version/version.txt"
  mkdir -p "$CACHE/bin"
  (cd "$src" && GOFLAGS=-mod=mod go build -trimpath -o "$BIN.tmp" ./cmd/ferretdb)
  mv "$BIN.tmp" "$BIN"
  rm -rf "$src"
}

if [[ ! -x $BIN ]] && ! command -v go >/dev/null; then
  say "Go is needed to build FerretDB $VERSION once (expected at /usr/local/go/bin/go)"
  exit 1
fi
if [[ ! -x $BIN ]] || [[ $("$BIN" --version 2>/dev/null | sed -n 's/^version: //p') != "$VERSION" ]]; then
  say "building FerretDB $VERSION into $BIN (about a minute on 2 cores)"
  build
fi

# Our previous instance (pid file): stop it and drop its state, so each run starts empty.
if [[ -f $PIDFILE ]]; then
  read -r old_pid old_state <"$PIDFILE" || true
  if [[ -n ${old_pid:-} ]] && [[ $(cat "/proc/$old_pid/comm" 2>/dev/null) == ferretdb ]]; then
    kill "$old_pid"
    for _ in $(seq 1 50); do kill -0 "$old_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  [[ ${old_state:-} == */depot-ferretdb.* ]] && rm -rf "$old_state"
  rm -f "$PIDFILE"
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  say "port $PORT is taken by another server (not this script's FerretDB); set FERRETDB_PORT"
  exit 1
fi

state=$(mktemp -d "${TMPDIR:-/tmp}/depot-ferretdb.XXXXXX")
mkdir -p "$state/data"
# setsid: the server outlives this script and the CI step that ran it.
setsid "$BIN" --handler=sqlite --sqlite-url="file:$state/data/" --state-dir="$state" \
  --listen-addr="127.0.0.1:$PORT" --debug-addr=- --telemetry=disable --log-level=WARN \
  >"$state/ferretdb.log" 2>&1 </dev/null &
echo "$! $state" >"$PIDFILE"

for _ in $(seq 1 60); do
  "$BIN" ping --listen-addr="127.0.0.1:$PORT" >/dev/null 2>&1 && break
  kill -0 "$!" 2>/dev/null || break
  sleep 0.5
done
if ! "$BIN" ping --listen-addr="127.0.0.1:$PORT" >/dev/null 2>&1; then
  say "FerretDB did not answer on 127.0.0.1:$PORT; its log:"
  cat "$state/ferretdb.log" >&2
  exit 1
fi
say "FerretDB $VERSION (SQLite backend) on 127.0.0.1:$PORT, state in $state"
echo "export TEST_MONGODB_URI=mongodb://127.0.0.1:$PORT"
echo "export TEST_FERRETDB_BIN=$BIN"
