#!/usr/bin/env bash
# Builds imaptest at upstream commit 924f619 (the one ../shared/bench/README.md used for the
# peers' figures) against Debian 12's dovecot-dev (Dovecot 2.3.19) and installs it as
# /opt/imaptest/bin/imaptest with that commit's tests in /opt/imaptest/tests.
#
#   bench/imap/build_imaptest.sh [SOURCE]     # as root
#
# SOURCE: a git directory or URL holding dovecot/imaptest (default https://github.com/dovecot/imaptest).
# Two things 924f619 needs on Debian 12:
#   - a `version` file: build-aux/git-version-gen finds no .git in an archive export;
#   - imap_parser_create() gained a 4th argument (`const struct imap_parser_params *`) in the
#     Dovecot 2.3 the package ships; the three calls pass NULL for it.
# The binary is linked with an rpath to /usr/lib/dovecot (libdovecot.so.0 lives there).
set -euo pipefail
src=${1:-https://github.com/dovecot/imaptest}
commit=924f619
prefix=${PREFIX:-/opt/imaptest}
work=$(mktemp -d /tmp/imaptest-build.XXXXXX)
trap 'rm -rf "$work"' EXIT

apt-get install -y dovecot-dev autoconf automake libtool pkg-config make gcc >/dev/null
if [ -d "$src" ] && git --git-dir="$src" rev-parse --verify -q "$commit^{commit}" >/dev/null; then
  git --git-dir="$src" archive "$commit" | tar -x -C "$work"
elif [ -d "$src/.git" ]; then
  git -C "$src" archive "$commit" | tar -x -C "$work"
else
  git clone -q "$src" "$work/clone" && git -C "$work/clone" archive "$commit" | tar -x -C "$work"
  rm -rf "$work/clone"
fi
cd "$work"
echo "0.0.0-$commit" > version
sed -i -E 's/imap_parser_create\(([^;]*)\);/imap_parser_create(\1, NULL);/' \
  src/commands.c src/imap-client.c src/test-parser.c
./autogen.sh >/dev/null 2>&1
./configure --with-dovecot=/usr/lib/dovecot --prefix="$prefix" >/dev/null
make -j2 LDFLAGS="-Wl,-rpath,/usr/lib/dovecot" >/dev/null
make install >/dev/null
mkdir -p "$prefix/tests"
cp -r src/tests/. "$prefix/tests/"
ldd "$prefix/bin/imaptest" | grep -q "libdovecot.so.0 => /usr/lib/dovecot" || { echo "imaptest does not find libdovecot" >&2; exit 1; }
echo "installed $prefix/bin/imaptest ($commit) and $prefix/tests ($(ls "$prefix/tests" | wc -l) test files)"
