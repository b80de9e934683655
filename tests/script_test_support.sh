# Shared by the shell tests (sourced; POSIX sh): failing, and skipping with ctest's code 77.

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# require PATH REQUIRED_BY WHAT: continue when PATH exists; else fail when the environment
# variable named REQUIRED_BY is set (CI), or skip (exit 77). WHAT says how to get PATH.
require() {
  [ -e "$1" ] && return 0
  eval "required=\${$2:-}"
  [ -n "$required" ] && fail "$1 is missing ($3)"
  echo "SKIP: $1 is missing ($3)"
  exit 77
}
