#!/usr/bin/env bash
# Make sure the machine's PostgreSQL answers on 127.0.0.1:5432 and that the app
# database (PGDATABASE_NAME, default fleet) and the test database fleet_test exist.
# Assumes the machine's packaged PostgreSQL cluster with trust auth for postgres.
set -euo pipefail

DB="${PGDATABASE_NAME:-fleet}"
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -tAc)

if ! pg_isready -q -h 127.0.0.1; then
  echo "postgres: not answering, starting the cluster"
  # --skip-systemctl-redirect: there is no systemd here.
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
  pg_isready -h 127.0.0.1 >/dev/null || { echo "postgres: did not come up in 30s" >&2; exit 1; }
fi

for db in "$DB" fleet_test; do
  if [[ "$("${PSQL[@]}" "select 1 from pg_database where datname='$db'")" != 1 ]]; then
    createdb -h 127.0.0.1 -U postgres "$db"
    echo "postgres: created database $db"
  fi
done
echo "postgres: ready on 127.0.0.1:5432 (databases: $DB, fleet_test)"
