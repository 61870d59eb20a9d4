#!/usr/bin/env bash
# Starts the services the tests need, idempotently: MariaDB (root over the socket and from 127.0.0.1
# with an empty password, database `test`) and Redis on 127.0.0.1:6379 without persistence.
# Used by .ci/run; a developer runs it once per boot (README, "Tests").
set -euo pipefail

# `mysqladmin ping` succeeds even when the login is refused, so check with a real query over TCP.
mysql_tcp_ok() { mysql -uroot -h127.0.0.1 -P3306 -e 'SELECT 1' test >/dev/null 2>&1; }
mysql_socket_ok() { mysql -uroot -e 'SELECT 1' >/dev/null 2>&1; }
if ! mysql_tcp_ok; then
  if ! mysql_socket_ok; then
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
    # mariadbd refuses to run as root; Debian's datadir (/var/lib/mysql) is made by the package.
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
    for _ in $(seq 1 60); do mysql_socket_ok && break; sleep 1; done
  fi
  # 127.0.0.1 resolves to root@localhost, which Debian ties to the unix socket; allow an empty password too.
  mysql -uroot -e "CREATE DATABASE IF NOT EXISTS test;
    ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
    FLUSH PRIVILEGES;"
fi
mysql -uroot -h127.0.0.1 -P3306 -e 'SELECT VERSION()' test

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  # Debian's package may have started its own instance; ours is the one without persistence.
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping
