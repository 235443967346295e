# Shared by the scripts: paths, installing what is missing, and the local clusters.
# Source it; it does not run anything by itself.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PGRX_HOME="$ROOT/pgrx-config"
PG_BIN=/usr/lib/postgresql/15/bin
PG_CONFIG="$PG_BIN/pg_config"
BUILD="$ROOT/build"
APT_PACKAGES=(postgresql-15 postgresql-server-dev-15 libclang-dev clang sudo curl)
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Installs the Debian packages named that are missing.
ensure_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    fi
}

# Apache Velocity 1.7 on a JVM, for ../shared/tools/velocity-ref (differential tests, benchmarks).
ensure_velocity() {
    ensure_packages velocity libgoogle-gson-java default-jdk-headless bc
}

# Installs the Debian packages and cargo-pgrx 0.18.0 when they are missing.
ensure_deps() {
    ensure_packages "${APT_PACKAGES[@]}"
    if ! cargo pgrx --version 2>/dev/null | grep -q '0\.18\.0'; then
        say "installing cargo-pgrx 0.18.0 (about 4 minutes)"
        cargo install cargo-pgrx --version 0.18.0 --locked
    fi
}

# Removes the installed library file before an install copies a new one over it: copying onto
# the same file rewrites it in place under every running server that has it loaded (it is
# preloaded), which kills them with SIGILL. After an unlink the copy is a new file, and running
# servers keep the old one until they restart.
unlink_installed_library() {
    as_root rm -f "$("$PG_CONFIG" --pkglibdir)/pg_engage.so"
}

# Builds the extension and installs it into the system PostgreSQL 15. $1: cargo profile flag.
install_extension() {
    say "building and installing pg_engage ${1:-(debug)}"
    local sudo_flag=()
    [ "$(id -u)" -eq 0 ] || sudo_flag=(--sudo)
    unlink_installed_library

    cargo pgrx install --pg-config "$PG_CONFIG" "${sudo_flag[@]}" ${1:-} >"$BUILD/install.log" 2>&1 \
        || { tail -50 "$BUILD/install.log"; return 1; }
    # The install scripts of earlier releases, so that CREATE EXTENSION pg_engage VERSION '…' can
    # still make one (tests/upgrade.sh does, to update it); cargo pgrx installs the update scripts.
    as_root cp "$ROOT"/sql/releases/pg_engage--*.sql "$("$PG_CONFIG" --sharedir)/extension/"
}

# The directory of cluster $1. It must be reachable by the postgres user; a clone in a private
# directory (such as /root) is not, so then the data lives under /var/tmp behind a symlink.
cluster_dir() {
    local link="$BUILD/clusters"
    mkdir -p "$BUILD"
    if [ ! -e "$link" ]; then
        mkdir -p "$link"
        if ! as_postgres test -x "$link" 2>/dev/null; then
            rmdir "$link"
            local alt="/var/tmp/pg_engage-$(printf '%s' "$ROOT" | md5sum | cut -c1-8)"
            mkdir -p "$alt"
            ln -s "$alt" "$link"
        fi
        as_root chown postgres:postgres "$(readlink -f "$link")"
    fi
    printf '%s/%s' "$(readlink -f "$link")" "$1"
}

# Runs a command as the postgres user (initdb refuses root). RUST_BACKTRACE is dropped: a server
# that inherits it appends Rust backtraces to the DETAIL of every error.
as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE "$@"
    else
        sudo -u postgres env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE "$@"
    fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# bench_cluster NAME [SETTING…]: the release build installed and cluster NAME running with the
# benchmark settings given (appended to its postgresql.conf once, then the cluster restarted).
bench_cluster() {
    local name="$1" dir
    shift
    mkdir -p "$BUILD"
    ensure_deps
    install_extension --release
    cluster_start "$name" >/dev/null
    dir="$(cluster_dir "$name")"
    if ! grep -q "pg_engage bench settings" "$dir/data/postgresql.conf"; then
        { printf '\n# pg_engage bench settings\n'; printf '%s\n' "$@"; } | as_postgres tee -a "$dir/data/postgresql.conf" >/dev/null
        cluster_start "$name" >/dev/null
    fi
}

# Starts (or restarts, to load a freshly installed library) cluster $1, creating it on first use
# on a free port, with the libraries $2 preloaded (default: pg_engage).
cluster_start() {
    local name="$1" preload="${2:-pg_engage}" dir port
    dir="$(cluster_dir "$name")"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_postgres mkdir -p "$dir"
        as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
            --no-sync >/dev/null
        # Start from a port derived from the checkout's path, so clones on one machine seldom meet.
        port=$((55432 + $(printf '%s' "$ROOT" | cksum | cut -d' ' -f1) % 200 * 10))

        while ! port_free "$port" || grep -qx "$port" "$(dirname "$dir")"/*/port 2>/dev/null; do
            port=$((port + 1))
        done

        as_postgres tee -a "$dir/data/postgresql.conf" >/dev/null <<CONF

# pg_engage cluster '$name'
port = $port
listen_addresses = 'localhost'
unix_socket_directories = '$dir'
shared_preload_libraries = '$preload'
CONF
        echo "$port" | as_postgres tee "$dir/port" >/dev/null
    fi
    port="$(cat "$dir/port")"
    if as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -m fast restart >/dev/null
    else
        port_free "$port" || { echo "port $port of cluster $name is taken by another program" >&2; return 1; }
        as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null \
            || { tail -20 "$dir/server.log"; return 1; }
    fi
    echo "cluster $name: $dir, port $port"
}

cluster_stop() {
    local dir
    dir="$(cluster_dir "$1")"
    [ -f "$dir/data/PG_VERSION" ] || return 0
    as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -w -m fast stop >/dev/null 2>&1 || true
}

# psql on cluster $1 as the postgres superuser; further arguments go to psql.
cluster_psql() {
    local dir
    dir="$(cluster_dir "$1")"
    shift
    "$PG_BIN/psql" -h "$dir" -p "$(cat "$dir/port")" -U postgres "$@"
}

# The median of the numbers on stdin, one per line.
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# The times psql's \timing printed on stdin, in milliseconds, one per line.
timing_ms() { sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'; }

# Citus 13.2 (PostgreSQL's distributed engine), built from the source vendored beside the
# repository when it is not installed (about 2 minutes). Returns 1 when it is neither.
ensure_citus() {
    local vendored="$ROOT/../shared/vendor/citus"
    [ -f "$("$PG_CONFIG" --pkglibdir)/citus.so" ] && return 0
    [ -x "$vendored/build.sh" ] || return 1
    say "building Citus from its vendored source"
    mkdir -p "$BUILD"
    "$vendored/build.sh" "$BUILD/citus-build" >"$BUILD/citus-build.log" 2>&1 \
        || { tail -30 "$BUILD/citus-build.log"; return 1; }
}

# The Citus clusters: a coordinator and two workers on this machine.
CITUS_NODES=(citus-coordinator citus-worker-1 citus-worker-2)

# Starts the Citus clusters, each with Citus and pg_engage preloaded (Citus first, as it
# requires). Their postgres user connects to them over TCP without a password, as the
# coordinator does to the workers; every other role still needs one.
citus_cluster_start() {
    local n hba
    for n in "${CITUS_NODES[@]}"; do
        cluster_start "$n" citus,pg_engage >/dev/null
        hba="$(cluster_dir "$n")/data/pg_hba.conf"
        if ! grep -q "pg_engage citus" "$hba"; then
            as_postgres sed -i '1i # pg_engage citus: the coordinator connects as postgres\nhost all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
            as_postgres "$PG_BIN/pg_ctl" -D "$(cluster_dir "$n")/data" reload >/dev/null
        fi
    done
}

# Makes database $1 (already made on the coordinator) on the workers too, with Citus in it on
# every node, and the workers registered with the coordinator's copy.
citus_database_ready() {
    local db="$1" n
    for n in "${CITUS_NODES[@]:1}"; do
        cluster_psql "$n" -d postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    done
    for n in "${CITUS_NODES[@]}"; do
        PGOPTIONS="-c client_min_messages=warning" cluster_psql "$n" -d "$db" -qc "CREATE EXTENSION citus"
    done
    cluster_psql citus-coordinator -d "$db" -qAt -v ON_ERROR_STOP=1 \
        -c "SELECT citus_set_coordinator_host('localhost', $(cat "$(cluster_dir citus-coordinator)/port"))" \
        -c "SELECT citus_add_node('localhost', $(cat "$(cluster_dir citus-worker-1)/port"))" \
        -c "SELECT citus_add_node('localhost', $(cat "$(cluster_dir citus-worker-2)/port"))" >/dev/null
}

# Runs one of Debian's pg_regress tools ($1: regress/pg_regress or isolation/pg_isolation_regress
# in PostgreSQL's pgxs tree) over the tests of tests/$2 (files $3/*.$4) in a fresh database $5 of
# the "regress" cluster; further arguments name the tests (default: all). Results go to
# build/$2; the differences are printed on failure, and the tool's status returned.
# REGRESS_CLUSTER names another running cluster to use, and REGRESS_DATABASE_READY a command run
# with the database's name once it is made (tests/citus.sh: the Citus coordinator).
run_regress_tool() {
    local tool="$1" suite="$2" files="$3" ext="$4" db="$5" cluster="${REGRESS_CLUSTER:-regress}" dir out status=0
    shift 5
    local tests=("$@")
    cd "$ROOT/tests/$suite"
    [ ${#tests[@]} -gt 0 ] || tests=($(ls "$files"/*."$ext" | xargs -n1 basename | sed "s/\.$ext\$//" | sort))
    [ -n "${REGRESS_CLUSTER:-}" ] || cluster_start regress
    dir="$(cluster_dir "$cluster")"
    out="$BUILD/$suite"
    # --use-existing leaves creating the database to us: a fresh one each run.
    cluster_psql "$cluster" -d postgres -v ON_ERROR_STOP=1 -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    ${REGRESS_DATABASE_READY:-true} "$db"
    mkdir -p "$out"
    "$(dirname "$PG_CONFIG")/../lib/pgxs/src/test/$tool" --use-existing --host="$dir" --port="$(cat "$dir/port")" \
        --user=postgres --inputdir=. --outputdir="$out" --dbname="$db" "${tests[@]}" || status=$?
    if [ $status -ne 0 ] && [ -f "$out/regression.diffs" ]; then
        cat "$out/regression.diffs"
    fi
    return $status
}

# Starts the stand-in for the list API (tests/list_api) on a free port of 127.0.0.1, accepting
# API key $1; sets LIST_API_URL and LIST_API_PID (stop it with stop_list_api).
start_list_api() {
    local out="$BUILD/list_api.$$.out"
    mkdir -p "$BUILD"
    cargo build -q --release -p list_api
    "$ROOT/target/release/list_api" --port 0 --api-key "$1" >"$out" 2>&1 &
    LIST_API_PID=$!
    for _ in $(seq 100); do
        grep -q '^listening on ' "$out" && break
        sleep 0.05
    done
    LIST_API_URL="http://$(sed -n 's/^listening on //p' "$out")"
    [ "$LIST_API_URL" != "http://" ] || { cat "$out" >&2; return 1; }
}
stop_list_api() { [ -z "${LIST_API_PID:-}" ] || kill "$LIST_API_PID" 2>/dev/null || true; }
# list_api METHOD PATH [BODY]: a call to the list API stand-in's control API; prints the answer.
list_api() { curl -sS -X "$1" -H 'Content-Type: application/json' ${3:+--data "$3"} "$LIST_API_URL$2"; }
