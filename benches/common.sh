# common.sh — sourced by the benchmark scripts, from the repository root.

# Set XBARSIM_BIN to an absolute path: the binary given, or a fresh
# `cargo build --release`.
xbarsim_bin() {
  if [ -z "${XBARSIM_BIN:-}" ]; then
    cargo build --release -q
    XBARSIM_BIN=target/release/xbarsim
  fi
  XBARSIM_BIN=$(readlink -f "$XBARSIM_BIN")
}

# machine TAG: say on stderr which machine the numbers come from.
machine() {
  echo "[$1] machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" >&2
}
