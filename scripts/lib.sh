# Shared helpers of the project's scripts (sourced, not run).

# Starts the local PostgreSQL cluster if it is not answering; returns non-zero if it cannot be had.
ensure_postgres() {
    if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
        return 0
    fi
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "installing PostgreSQL" >&2
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        else
            return 1
        fi
    fi
    echo "starting PostgreSQL" >&2
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 60); do
        pg_isready -q -h 127.0.0.1 -p 5432 && return 0
        sleep 0.5
    done
    return 1
}

# Starts the local Redis server if it is not answering; returns non-zero if it cannot be had.
ensure_redis() {
    if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
        return 0
    fi
    command -v redis-server >/dev/null 2>&1 || need_command redis-server redis-server || return 1
    echo "starting Redis" >&2
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    for _ in $(seq 1 40); do
        redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && return 0
        sleep 0.25
    done
    return 1
}

# port_open PORT: whether something listens on 127.0.0.1:PORT.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Starts the local NATS server with JetStream if it is not answering; returns non-zero if it cannot be had.
ensure_nats() {
    port_open 4222 && return 0
    command -v nats-server >/dev/null 2>&1 || need_command nats-server nats-server || return 1
    echo "starting NATS" >&2
    mkdir -p /var/lib/nats-server
    start-stop-daemon --start --oknodo --background --exec "$(command -v nats-server)" -- \
        -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server
    for _ in $(seq 1 40); do
        port_open 4222 && return 0
        sleep 0.25
    done
    return 1
}

# Starts the local RabbitMQ broker if it is not answering; returns non-zero if it cannot be had.
ensure_rabbitmq() {
    port_open 5672 && return 0
    command -v rabbitmq-server >/dev/null 2>&1 || need_command rabbitmq-server rabbitmq-server || return 1
    echo "starting RabbitMQ" >&2
    rabbitmq-server -detached || true
    for _ in $(seq 1 120); do
        port_open 5672 && return 0
        sleep 0.5
    done
    return 1
}

# need_command CMD PACKAGE: installs the Debian package when CMD is missing (as root), else fails clearly.
need_command() {
    command -v "$1" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
    else
        echo "missing $1: install the $2 package" >&2
        return 1
    fi
}
