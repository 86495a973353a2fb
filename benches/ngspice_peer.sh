# ngspice_peer.sh — sourced by vmm.sh and program.sh: the time ngspice takes
# for one operating point of an xbarsim netlist.
#
#   ngspice_one_op IN.cir    prints the median of 3 `$NGSPICE -b` wall times
#                            (s) on IN.cir exported flat by `$XBARSIM_BIN
#                            export`, with the export's `.options` line
#                            dropped (ngspice keeps its default tolerances;
#                            the export carries xbarsim's tighter ones) and
#                            `.options klu` added (ngspice 39 ignores it).
# Needs XBARSIM_BIN and NGSPICE set.
ngspice_one_op() {
  local in=$1 flat=${1%.cir}.ng.cir t=()
  "$XBARSIM_BIN" export "$in" -o "$flat" >/dev/null
  sed -i -e '/^\.options/d' -e 's/^\.op$/.options klu\n.op/' "$flat"
  for _ in 1 2 3; do
    /usr/bin/time -f '%e' -o "$flat.time" "$NGSPICE" -b "$flat" >/dev/null 2>&1 || true
    t+=("$(cat "$flat.time")")
  done
  printf '%s\n' "${t[@]}" | sort -n | sed -n 2p
}
