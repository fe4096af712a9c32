#!/usr/bin/env bash
# Installs what is missing, builds Postern, creates a demo setup in ./var (first run only:
# config, self-signed certificate, domain example.test with one account) and runs the server
# in the foreground. Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
var=$root/var

scripts/install-deps.sh
scripts/build.sh build

bin=$root/build/src
posternd=$bin/daemon/posternd
posternctl=$bin/tools/posternctl
config=$var/postern.toml

if [ ! -f "$config" ]; then
  echo "run: creating the demo setup in $var"
  mkdir -p "$var/certs"
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=mail.example.test" \
    -addext "subjectAltName=DNS:mail.example.test,DNS:localhost,IP:127.0.0.1" \
    -keyout "$var/certs/server.key" -out "$var/certs/server.crt" 2>/dev/null
  chmod 600 "$var/certs/server.key"

  # Drop root to a service user when it can reach ./var (a checkout under /root cannot be).
  user=""
  if [ "$(id -u)" -eq 0 ]; then
    id postern >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postern
    if runuser -u postern -- test -x "$var" 2>/dev/null; then user=postern; fi
  fi
  sed -e "s|@USER@|$user|" scripts/demo.toml.in > "$config"

  "$posternctl" --config "$config" --offline domain add example.test >/dev/null
  password=$("$posternctl" --config "$config" --offline account add demo@example.test --generate --quiet)
  "$posternctl" --config "$config" --offline account add postmaster@example.test --generate --quiet >/dev/null
  umask 077
  printf 'demo@example.test %s\n' "$password" > "$var/demo-password"
  if [ -n "$user" ]; then chown -R "$user" "$var"; fi
fi

cat <<TXT

  Postern demo ($var)
    config     $config
    account    $(cat "$var/demo-password")   (user, password)
    logs       $var/log/postern.log
    admin      $posternctl --config $config status
TXT
"$posternctl" --config "$config" --offline config check >/dev/null
grep -E '^address|^listen' "$config" | sed 's/^/    listening  /'
echo
exec "$posternd" --config "$config"
