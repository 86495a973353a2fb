#!/usr/bin/env bash
# ngspice44.sh — put ngspice 44 (with the KLU sparse solver) next to Debian 12's
# ngspice 39, without touching the system, and print the path of a wrapper
# that runs it.
#
# Why: Debian 12 (bookworm) ships only ngspice 39, which has no KLU (it reads
# `.options klu` and silently keeps Sparse 1.3). Debian 13 (trixie) ships
# ngspice 44.2, compiled with KLU, but that binary needs glibc >= 2.38 and
# libstdc++ from GCC 13+ (bookworm has glibc 2.36). So this script
#   1. fetches, with a private apt configuration (its own sources list,
#      package lists and cache under the cache directory; the system's apt
#      sources, lists and dpkg database are not used or changed), trixie's
#      `ngspice` and the runtime libraries it loads: libc6, libstdc++6,
#      libgcc-s1, libgomp1, libreadline8t64, libtinfo6 and, because the binary
#      links them even in batch mode, the X11/fontconfig libraries with their
#      own dependencies (see PKGS below);
#   2. unpacks them all with `dpkg-deb -x` into one private root, ROOT;
#   3. points ROOT's spinit (the init script that loads the XSPICE code
#      models) at ROOT's code models instead of /usr/lib/.../ngspice, which
#      belong to the system's ngspice 39;
#   4. writes the wrapper DIR/bin/ngspice44, which runs ROOT's ngspice through
#      ROOT's own dynamic loader:
#        ROOT/usr/lib64/ld-linux-x86-64.so.2 --inhibit-cache \
#            --library-path ROOT/usr/lib/x86_64-linux-gnu ROOT/usr/bin/ngspice "$@"
#      with SPICE_LIB_DIR=ROOT/usr/share/ngspice (where spinit is found);
#   5. checks that the wrapper reports ngspice-44 "Compiled with KLU" and that
#      a tiny deck with `.options klu` prints "Using KLU as Direct Linear
#      Solver".
# Nothing is installed system-wide; the package signatures are checked with
# the system's debian-archive-keyring (bookworm's carries the trixie keys).
# The step is idempotent: when the wrapper exists and passes the checks it
# is only printed. Delete DIR (or set NGSPICE44_FORCE=1) to fetch anew.
#
# Usage (stdout is the wrapper's absolute path, progress goes to stderr):
#   benches/ngspice44.sh
#   NGSPICE=$(benches/ngspice44.sh) NGSPICE_OPTIONS=klu benches/vs_ngspice.sh
#
# Environment:
#   NGSPICE44_DIR     cache directory (default $HOME/.cache/xbarsim-ngspice44)
#   NGSPICE44_SUITE   Debian suite to take ngspice from            (default trixie)
#   NGSPICE44_MIRROR  Debian mirror          (default http://deb.debian.org/debian)
#   NGSPICE44_FORCE=1 rebuild the cache directory even if it passes the checks
#
# Requirements: Debian (apt-get, dpkg-deb) on x86_64, network access to the
# Debian mirror for the first run only (about 8 MB of packages, 60 MB unpacked).
set -euo pipefail

die() { echo "ngspice44.sh: error: $*" >&2; exit 1; }
log() { echo "[ngspice44] $*" >&2; }

DIR=${NGSPICE44_DIR:-${HOME:?HOME is not set}/.cache/xbarsim-ngspice44}
SUITE=${NGSPICE44_SUITE:-trixie}
MIRROR=${NGSPICE44_MIRROR:-http://deb.debian.org/debian}
FORCE=${NGSPICE44_FORCE:-0}
ARCH=x86_64-linux-gnu

# The binary's NEEDED libraries and their dependency closure in trixie (found
# with `apt-cache depends --recurse ngspice`, keeping packages that ship
# shared libraries; checked below with the loader's --list).
PKGS="ngspice libc6 libstdc++6 libgcc-s1 libgomp1 libreadline8t64 libtinfo6
      libx11-6 libxaw7 libxft2 libxt6t64 libfontconfig1 libbrotli1 libbz2-1.0
      libexpat1 libfreetype6 libice6 libpng16-16t64 libsm6 libuuid1 libxau6
      libxcb1 libxdmcp6 libxext6 libxmu6 libxpm4 libxrender1 zlib1g"

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
[[ $DIR != *"'"* ]] || die "NGSPICE44_DIR must not contain a single quote: $DIR"
ROOT=$DIR/root
WRAP=$DIR/bin/ngspice44

# check WRAPPER: the version banner names ngspice-44 with KLU, and `.options
# klu` selects KLU. Prints nothing; returns non-zero on failure.
check() {
    local w=$1 t banner out
    [[ -x $w ]] || return 1
    banner=$("$w" --version 2>&1) || return 1
    grep -q 'ngspice-44' <<<"$banner" || { log "unexpected version banner: $banner"; return 1; }
    grep -q 'Compiled with KLU' <<<"$banner" || { log "binary not compiled with KLU"; return 1; }
    t=$(mktemp -d "${TMPDIR:-/tmp}/ngspice44.XXXXXX")
    printf '%s\n' "klu check" ".options klu" "V1 1 0 1" "R1 1 2 1k" "R2 2 0 1k" \
        ".op" ".end" >"$t/klu.cir"
    out=$(cd "$t" && "$w" -b klu.cir 2>&1) || { rm -rf "$t"; log "test deck failed: $out"; return 1; }
    rm -rf "$t"
    grep -q 'Using KLU as Direct Linear Solver' <<<"$out" \
        || { log "'.options klu' did not select KLU: $out"; return 1; }
}

if [[ $FORCE != 1 ]] && check "$WRAP" 2>/dev/null; then
    log "already prepared in $DIR"
    echo "$WRAP"
    exit 0
fi

[[ $(uname -m) == x86_64 ]] || die "only x86_64 is supported (found $(uname -m))"
command -v apt-get >/dev/null || die "apt-get not found (this script needs Debian)"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found (this script needs Debian)"

# ------------------------------------------------------------ download ---
APTD=$DIR/apt
mkdir -p "$APTD/lists/partial" "$APTD/cache/archives/partial" "$APTD/debs"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
if [[ -r $KEYRING && -e /usr/share/keyrings/debian-archive-$SUITE-automatic.gpg ]]; then
    echo "deb [signed-by=$KEYRING] $MIRROR $SUITE main" >"$APTD/sources.list"
else
    log "warning: no $SUITE signing key in $KEYRING: package signatures NOT checked"
    echo "deb [trusted=yes] $MIRROR $SUITE main" >"$APTD/sources.list"
fi
APT_OPTS=(
    -o "Dir::Etc::SourceList=$APTD/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::Etc::Preferences=/dev/null"
    -o "Dir::Etc::PreferencesParts=/dev/null"
    -o "Dir::State::Lists=$APTD/lists"
    -o "Dir::State::status=/dev/null"
    -o "Dir::Cache=$APTD/cache"
    -o "APT::Architecture=amd64"
    -o "APT::Architectures=amd64"
    -o "APT::Sandbox::User=$(id -un)"
)
log "apt-get update ($SUITE, private lists in $APTD)"
apt-get "${APT_OPTS[@]}" -q update >&2 || die "apt-get update of $SUITE failed"
rm -f "$APTD/debs/"*.deb
log "downloading: $(tr -s ' \n' ' ' <<<"$PKGS")"
# shellcheck disable=SC2086  # PKGS is a list of package names
(cd "$APTD/debs" && apt-get "${APT_OPTS[@]}" -q download $PKGS >&2) \
    || die "apt-get download failed"

# -------------------------------------------------------------- unpack ---
rm -rf "$ROOT.tmp"
mkdir -p "$ROOT.tmp"
for deb in "$APTD/debs/"*.deb; do
    dpkg-deb -x "$deb" "$ROOT.tmp" || die "dpkg-deb -x $deb failed"
done
LOADER=""
for l in usr/lib64/ld-linux-x86-64.so.2 usr/lib/$ARCH/ld-linux-x86-64.so.2 lib64/ld-linux-x86-64.so.2; do
    if [[ -e $ROOT.tmp/$l ]]; then LOADER=$l; break; fi
done
[[ -n $LOADER ]] || die "no ld-linux-x86-64.so.2 in the unpacked libc6"
[[ -x $ROOT.tmp/usr/bin/ngspice ]] || die "no usr/bin/ngspice in the unpacked ngspice package"
SPINIT=$ROOT.tmp/usr/share/ngspice/scripts/spinit
[[ -f $SPINIT ]] || die "no spinit in the unpacked ngspice package"
# Code models: ROOT's, not the system ngspice's (which may be another version).
sed -i "s#/usr/lib/$ARCH/ngspice/#$ROOT/usr/lib/$ARCH/ngspice/#g" "$SPINIT"

# Every library the binary needs must resolve inside the private root.
missing=$("$ROOT.tmp/$LOADER" --inhibit-cache --library-path "$ROOT.tmp/usr/lib/$ARCH" \
    --list "$ROOT.tmp/usr/bin/ngspice" 2>&1 | grep -E 'not found|=> /(usr/)?lib' || true)
[[ -z $missing ]] || die "libraries not resolved inside the private root: $missing"

rm -rf "$ROOT"
mv "$ROOT.tmp" "$ROOT"

# ------------------------------------------------------------- wrapper ---
mkdir -p "$DIR/bin"
cat >"$WRAP.tmp" <<EOF
#!/bin/sh
# ngspice 44 from Debian $SUITE, run with its own glibc (see benches/ngspice44.sh).
SPICE_LIB_DIR='$ROOT/usr/share/ngspice'
export SPICE_LIB_DIR
exec '$ROOT/$LOADER' --inhibit-cache --library-path '$ROOT/usr/lib/$ARCH' \\
    --argv0 ngspice '$ROOT/usr/bin/ngspice' "\$@"
EOF
chmod +x "$WRAP.tmp"
mv "$WRAP.tmp" "$WRAP"

check "$WRAP" || die "the prepared ngspice 44 failed its checks (see above)"
log "ready: $("$WRAP" --version 2>&1 | grep -m1 -o 'ngspice-[^ ]*'), KLU selectable with '.options klu'"
rm -rf "$APTD/cache" "$APTD/debs" "$APTD/lists"
echo "$WRAP"
