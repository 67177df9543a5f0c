#!/usr/bin/env bash
# Installs the real database servers the integration tests start on 127.0.0.1
# (see test/support/servers.ts). Idempotent; never starts a service.
#
#   postgresql-15   -> /usr/lib/postgresql/15/bin/{initdb,pg_ctl,postgres}
#   mariadb-server  -> mariadbd, mariadb-install-db / mysql_install_db
#   python3-cryptography -> Airflow's Fernet, to check that a kept fernet key still decrypts
#
# Plus a `postgres` system user: PostgreSQL refuses to run as root, so when the
# tests run as root both embedded-postgres (PG 17) and PG 15 run as that user.
set -euo pipefail

PACKAGES=(postgresql-15 mariadb-server python3-cryptography)
# --user-only: just the postgres system user, which the embedded PostgreSQL of `npm start` needs as root.
if [[ "${1:-}" == "--user-only" ]]; then
  PACKAGES=()
  [[ $(id -u) -ne 0 ]] && exit 0 # not root: embedded-postgres runs the server as the current user
fi
POLICY=/usr/sbin/policy-rc.d

# dpkg-query reports "install ok installed" only for a fully configured package.
is_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

need_user=0
getent passwd postgres >/dev/null || need_user=1

if [[ ${#missing[@]} -eq 0 && $need_user -eq 0 ]]; then
  echo "install-test-deps: all present (${PACKAGES[*]:+${PACKAGES[*]}, }user postgres)"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-test-deps: must run as root to install what is missing:" >&2
  [[ ${#missing[@]} -gt 0 ]] && echo "  sudo apt-get install -y ${missing[*]}" >&2
  [[ $need_user -eq 1 ]] && echo "  sudo adduser --system --group --home /var/lib/postgresql --shell /bin/bash postgres" >&2
  exit 1
fi

if [[ ${#missing[@]} -gt 0 ]]; then
  # Forbid service starts for the duration of the install (exit 101 = "action
  # not allowed" for invoke-rc.d), restoring any policy that was there before.
  backup=""
  if [[ -e $POLICY ]]; then
    backup=$(mktemp)
    cp -p "$POLICY" "$backup"
  fi
  restore_policy() {
    if [[ -n $backup ]]; then
      mv -f "$backup" "$POLICY"
    else
      rm -f "$POLICY"
    fi
  }
  trap restore_policy EXIT
  printf '#!/bin/sh\n# written by install-test-deps.sh: do not start services\nexit 101\n' >"$POLICY"
  chmod 0755 "$POLICY"

  export DEBIAN_FRONTEND=noninteractive
  echo "install-test-deps: installing ${missing[*]}"
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

# postgresql-common normally creates this user; make sure of it either way.
if ! getent passwd postgres >/dev/null; then
  if command -v adduser >/dev/null; then
    adduser --system --group --home /var/lib/postgresql --shell /bin/bash \
      --gecos "PostgreSQL administrator" postgres
  else
    useradd --system --user-group --home-dir /var/lib/postgresql --create-home --shell /bin/bash postgres
  fi
fi

echo "install-test-deps: done"
