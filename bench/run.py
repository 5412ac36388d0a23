#!/usr/bin/env python3
"""Load benchmark of the release server against the machine's own limits, on SQLite and PostgreSQL.

Measured in one run: wrk against /api/login, /api/me, /api/refresh, /api/register (a different
user or token per request), pgbench -S and a one-row-insert pgbench script at the same client
count, and bcrypt verifications per second on all cores. Prints one table with the ratios the
project targets (docs/performance.md). The measuring stick (bench/ceiling/, built into
target/ceiling) answers GET /api/me in the same run, without a database and with one SQLite point
lookup, so every CPU figure is also a ratio to it. Usage: bench/run.sh [--quick] [--stores]
[--against OLD_BINARY]
(`--stores`: only login and refresh with the rate limits counted in memory against the database;
`--against`: only /api/me and /api/refresh, of an earlier build and this one, alternately, on
fresh databases of each backend: a before/after in one run)
"""

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
# BENCH_BIN measures another build (an earlier commit's, for a before/after) with the same driver.
BIN = os.environ.get("BENCH_BIN") or os.path.join(ROOT, "target", "release", "jwt-auth-server")
SECRET = "benchmark-secret-benchmark-secret-0123456789"
ISSUER = "http://bench.test"
PASSWORD = "seeded password 1"
QUICK = "--quick" in sys.argv
DURATION = 3 if QUICK else 10
WARMUP = 1 if QUICK else 2
CLIENTS = 32  # wrk connections and pgbench clients alike
FLOOD = 60  # concurrent logins while /api/me p99 is measured
USERS = 2000
CORES = os.cpu_count() or 1
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/postgres")
CLK = os.sysconf("SC_CLK_TCK")


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def need(tool, package):
    """The benchmark installs nothing: a missing tool stops it, saying how to install it."""
    if shutil.which(tool):
        return True
    log(f"{tool} is missing: install Debian's {package} (apt-get install {package}), then run again")
    sys.exit(2)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ms(pids):
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total * 1000 / CLK


def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def postgres_pids():
    out = subprocess.run(["pgrep", "-u", "postgres"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(user, now):
    """A token for a seeded user, of its session when db:seed made one (builds before sessions did not)."""
    header = b64(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
    claims = {"iss": ISSUER, "sub": user[0], "iat": now, "nbf": now, "exp": now + 3600,
              "jti": str(uuid.uuid4()), "orig_iat": now}
    if len(user) > 2:
        claims["sid"] = user[2]
    body = b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = b64(hmac.new(SECRET.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest())
    return f"{header}.{body}.{signature}"


class Server:
    def __init__(self, database_url, work, binary=None, **env):
        self.port = free_port()
        self.binary = binary or BIN
        self.env = dict(os.environ, APP_ENV="testing", APP_PORT=str(self.port), DATABASE_URL=database_url,
                        JWT_SECRET=SECRET, JWT_ISSUER=ISSUER, BCRYPT_ROUNDS="12", RATE_LIMIT_ENABLED="false",
                        RUST_LOG="warn", **env)
        self.work = work

    def cli(self, *args):
        return subprocess.run([self.binary, *args], env=self.env, cwd=self.work, capture_output=True, text=True, check=True).stdout

    def start(self):
        started = time.monotonic()
        self.proc = subprocess.Popen([self.binary], env=self.env, cwd=self.work, stderr=subprocess.DEVNULL)
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        return (time.monotonic() - started) * 1000
            except OSError:
                pass
            if time.monotonic() - started > 30:
                raise RuntimeError("the server did not start")
            time.sleep(0.005)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


CEILING = os.path.join(ROOT, "target", "ceiling", "release", "jwt-auth-server-ceiling")


def build_ceiling():
    """The measuring stick, built on its own (its own lock file and target folder)."""
    log("building the measuring stick (bench/ceiling)")
    subprocess.run(["cargo", "build", "--release", "--locked", "--manifest-path", os.path.join(BENCH, "ceiling", "Cargo.toml"),
                    "--target-dir", os.path.join(ROOT, "target", "ceiling")], check=True)


class Ceiling(Server):
    """The stick, started like the server: with `database` (an SQLite path) or none."""

    def __init__(self, work, database=None):
        super().__init__("", work, binary=CEILING, CEILING_SECRET=SECRET, CEILING_ISSUER=ISSUER)
        self.env["CEILING_PORT"] = str(self.port)
        if database:
            self.env["CEILING_DATABASE"] = database


def wrk(port, script, connections, duration, env):
    threads = min(2, connections)
    # --timeout: a login queued behind a flood may take seconds, and wrk's default (2 s) would drop it.
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency", "-s", os.path.join(BENCH, "wrk", script),
           f"http://127.0.0.1:{port}"]
    env = dict(os.environ, BENCH_DIR=BENCH, WRK_THREADS=str(threads), PASSWORD=PASSWORD, **env)
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)


def parse_wrk(output):
    def ms(text):
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = int(bad.group(1)) if bad else 0
    seconds = requests / rps if rps else 1
    # Only successful answers count as throughput: a fast 503 or 401 is not work done.
    return {"rps": (requests - errors) / seconds, "requests": requests, "p50": p50, "p99": p99, "errors": errors}


def measure(server, script, env, pg, connections=CLIENTS):
    # The warm-up spends the first tokens; the measured run starts further down the lists.
    wrk(server.port, script, connections, WARMUP, dict(env, OFFSET="0")).communicate()
    pids = [server.proc.pid] + (postgres_pids() if pg else [])
    before, before_server = cpu_ms(pids), cpu_ms([server.proc.pid])
    out = wrk(server.port, script, connections, DURATION, dict(env, OFFSET="30000")).communicate()[0]
    result = parse_wrk(out)
    result["cpu_ms"] = (cpu_ms(pids) - before) / max(result["requests"], 1)
    # The server's own process alone (on PostgreSQL cpu_ms includes the database's).
    result["server_cpu_ms"] = (cpu_ms([server.proc.pid]) - before_server) / max(result["requests"], 1)
    result["rss"] = rss_mib(server.proc.pid)
    return result


def me_under_login_flood(server, env):
    """/api/me p99 at a steady 4 connections x 100 requests/s (me_paced.lua) while FLOOD connections
    log in as fast as they are answered: the latency a user of /api/me sees during a login storm,
    and the login rate the storm still gets."""
    flood = wrk(server.port, "login.lua", FLOOD, DURATION + 2, env)
    time.sleep(1)
    me = wrk(server.port, "me_paced.lua", 4, DURATION, dict(env, ME_PAUSE_MS="10")).communicate()[0]
    flood_out = flood.communicate()[0]
    return parse_wrk(me), parse_wrk(flood_out)


def me_by_algorithm(work):
    """/api/me on SQLite with each signing algorithm, the tokens signed by the server (db:seed)."""
    results = {}
    for algo in ["HS256", "ES256", "EdDSA"]:
        log(f"SQLite, JWT_ALGO={algo}: /api/me")
        folder = os.path.join(work, f"algo-{algo}")
        os.makedirs(folder)
        server = Server(os.path.join(folder, "bench.sqlite"), folder, JWT_ALGO=algo)
        users = [line.split(",") for line in server.cli("db:seed", "--users", str(USERS), "--password", PASSWORD).split()]
        path = os.path.join(folder, "tokens")
        with open(path, "w") as f:
            f.write("\n".join(user[3] for user in users) + "\n")
        server.start()
        try:
            results[algo] = measure(server, "me.lua", {"TOKENS": path, "RUN_ID": str(int(time.time()))}, pg=False)
        finally:
            server.stop()
    return results


def run_backend(name, database_url, work, pg):
    log(f"{name}: seeding {USERS} users")
    server = Server(database_url, work)
    users = [line.split(",") for line in server.cli("db:seed", "--users", str(USERS), "--password", PASSWORD).split()]
    now = int(time.time())
    files = {
        "EMAILS": [user[1] for user in users],
        # The server signs them (db:seed); builds from before that printed none, so forge those.
        "TOKENS": [user[3] if len(user) > 3 else forge(user, now) for user in users],
        "REFRESH_TOKENS": [forge(users[i % len(users)], now) for i in range(150_000 if not QUICK else 30_000)],
    }
    env = {"RUN_ID": str(int(time.time()))}
    for key, lines in files.items():
        path = os.path.join(work, key.lower())
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        env[key] = path
    results = {}
    if not pg:
        # The stick, on the same tokens: without a database, and reading this seeded database.
        for key, database in [("stick", None), ("stick_sqlite", database_url)]:
            log(f"{name}: the measuring stick, {'SQLite point lookup' if database else 'no database'}")
            stick = Ceiling(work, database)
            stick.start()
            try:
                results[key] = measure(stick, "me.lua", env, False)
            finally:
                stick.stop()
    results["start_ms"] = server.start()  # migrated by db:seed: this is the warm start
    try:
        for scenario in ["me", "refresh", "login", "register"]:
            log(f"{name}: {scenario}")
            # bcrypt routes: 2 connections per core keep every core busy without queueing past
            # HASH_QUEUE_TIMEOUT (which would turn the excess into fast 503s).
            connections = 2 * CORES if scenario in ("login", "register") else CLIENTS
            results[scenario] = measure(server, f"{scenario}.lua", env, pg, connections)
        log(f"{name}: /api/me under {FLOOD} concurrent logins")
        results["me_flood"], results["flood_login"] = me_under_login_flood(server, env)
        log(f"{name}: 1,000,000 blacklist rows")
        fill_blacklist(database_url, pg, users[0][0])
        results["me_1m"] = measure(server, "me.lua", env, pg)
        results["me_4"] = parse_wrk(wrk(server.port, "me.lua", 4, DURATION, env).communicate()[0])
        log(f"{name}: /api/me during prune")
        me = wrk(server.port, "me.lua", 4, DURATION, env)
        pruned = time.monotonic()
        server.cli("prune")
        results["prune_s"] = time.monotonic() - pruned
        results["me_prune"] = parse_wrk(me.communicate()[0])
        results["rss"] = rss_mib(server.proc.pid)
    finally:
        server.stop()
    return results


def fill_blacklist(database_url, pg, user_id):
    """A million blacklist rows that a prune may delete: expired, and written longer ago than the
    refresh window (prune keeps rows whose tokens today's JWT_REFRESH_TTL could still refresh)."""
    if pg:
        sql = (f"INSERT INTO blacklisted_tokens SELECT gen_random_uuid(), '{user_id}', now() - interval '1 day', "
               "now() - interval '1 day', NULL, NULL, NULL, now() - interval '30 days' FROM generate_series(1, 1000000)")
        subprocess.run(["psql", "-q", database_url, "-c", sql], check=True)
        subprocess.run(["psql", "-q", database_url, "-c", "VACUUM ANALYZE blacklisted_tokens"], check=True)
    else:
        conn = sqlite3.connect(database_url)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executemany(
            "INSERT INTO blacklisted_tokens VALUES (?, ?, '2000-01-01 00:00:00', '2000-01-01 00:00:00', NULL, NULL, NULL, '2000-01-01 00:00:00')",
            ((str(uuid.uuid4()), user_id) for _ in range(1_000_000)))
        conn.commit()
        conn.close()


def pgbench(database_url, work):
    log("pgbench: select-only and one-row-insert limits")
    subprocess.run(["pgbench", "-i", "-q", "-s", "10", database_url], capture_output=True, check=True)
    subprocess.run(["psql", "-q", database_url, "-c", "CREATE TABLE bench_insert (id uuid PRIMARY KEY, at timestamp NOT NULL)"],
                   check=True, capture_output=True)
    script = os.path.join(work, "insert.sql")
    with open(script, "w") as f:
        f.write("INSERT INTO bench_insert VALUES (gen_random_uuid(), now());\n")
    tps = {}
    for key, args in {"select": ["-S"], "insert": ["-n", "-f", script]}.items():
        out = subprocess.run(["pgbench", *args, "-c", str(CLIENTS), "-j", "2", "-T", str(DURATION), database_url],
                             capture_output=True, text=True, check=True).stdout
        tps[key] = float(re.search(r"tps = ([\d.]+)", out).group(1))
    return tps


def rate_limit_stores(work):
    """/api/login and /api/refresh on PostgreSQL with the rate limits on, counted in memory (one
    process) and then in the database (shared by every instance); the limits are set high enough
    never to refuse, so the difference is the cost of counting."""
    name = f"bench_stores_{os.getpid()}"
    subprocess.run(["psql", "-q", PG_URL, "-c", f"CREATE DATABASE {name}"], check=True)
    db = PG_URL.rsplit("/", 1)[0] + "/" + name
    high = {key: "1000000" for key in ["RATE_LIMIT_LOGIN_PER_MINUTE", "RATE_LIMIT_LOGIN_PER_HOUR",
                                       "RATE_LIMIT_LOGIN_IP_PER_MINUTE", "RATE_LIMIT_REFRESH_IP_PER_5_MINUTES"]}
    results = {}
    try:
        users = None
        for store in ["memory", "database"]:
            # 127.0.0.1 is the proxy for the spread-clients run (X-Forwarded-For from many networks).
            server = Server(db, work, RATE_LIMIT_STORE=store, TRUSTED_PROXIES="127.0.0.1", **high)
            server.env["RATE_LIMIT_ENABLED"] = "true"
            if users is None:
                log(f"PostgreSQL: seeding {USERS} users")
                users = [line.split(",") for line in server.cli("db:seed", "--users", str(USERS), "--password", PASSWORD).split()]
            now = int(time.time())
            env = {"RUN_ID": f"{store}{now}"}
            for key, lines in {"EMAILS": [user[1] for user in users],
                               "REFRESH_TOKENS": [forge(users[i % len(users)], now) for i in range(150_000 if not QUICK else 30_000)],
                "SPREAD_TOKENS": [forge(users[i % len(users)], now) for i in range(150_000 if not QUICK else 30_000)]}.items():
                path = os.path.join(work, f"{store}-{key.lower()}")
                with open(path, "w") as f:
                    f.write("\n".join(lines) + "\n")
                env[key] = path
            server.start()
            try:
                results[(store, "login")] = measure(server, "login.lua", env, True, 2 * CORES)
                # One client address (every request on one counter row), then many (spread rows);
                # the second run has tokens of its own.
                results[(store, "refresh")] = measure(server, "refresh.lua", env, True)
                spread = dict(env, SPREAD_CLIENTS="1", REFRESH_TOKENS=env["SPREAD_TOKENS"])
                results[(store, "refresh_spread")] = measure(server, "refresh.lua", spread, True)
            finally:
                server.stop()
    finally:
        subprocess.run(["psql", "-q", PG_URL, "-c", f"DROP DATABASE {name} WITH (FORCE)"], check=True)
    print(f"\nrate-limit stores on PostgreSQL, rate limits on; rps counts 2xx only\n")
    print(f"{'route':<17} {'memory rps':>11} {'database rps':>13} {'database/memory':>16} {'p99 ms mem/db':>15}")
    for scenario, label in [("login", "POST /api/login"), ("refresh", "refresh, 1 client"),
                            ("refresh_spread", "refresh, spread")]:
        memory, database = results[("memory", scenario)], results[("database", scenario)]
        print(f"{label:<17} {memory['rps']:>11.0f} {database['rps']:>13.0f} {database['rps'] / max(memory['rps'], 1):>16.2f}"
              f" {memory['p99']:>7.2f}/{database['p99']:<7.2f}")


def against(old_binary):
    """/api/me and /api/refresh of `old_binary` and of this build, each on a fresh database of
    each backend, old and new alternately (twice), so both are measured in one run on one machine."""
    def seeded(binary, database_url, work):
        server = Server(database_url, work, binary=binary)
        users = [line.split(",") for line in server.cli("db:seed", "--users", str(USERS), "--password", PASSWORD).split()]
        now = int(time.time())
        env = {"RUN_ID": str(now)}
        for key, lines in {"TOKENS": [user[3] for user in users],
                           "REFRESH_TOKENS": [forge(users[i % len(users)], now) for i in range(150_000 if not QUICK else 30_000)]}.items():
            path = os.path.join(work, key.lower())
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
            env[key] = path
        return server, env

    results = {}
    with tempfile.TemporaryDirectory() as root:
        for round_ in range(2):
            # The second round runs them in the other order, so neither always meets a warmer machine.
            order = [("before", old_binary), ("after", BIN)]
            for label, binary in (order if round_ == 0 else order[::-1]):
                for backend in ["SQLite", "PostgreSQL"]:
                    work = os.path.join(root, f"{round_}-{label}-{backend}")
                    os.makedirs(work)
                    pg = backend == "PostgreSQL"
                    name = f"bench_against_{os.getpid()}_{round_}_{label}"
                    if pg:
                        subprocess.run(["psql", "-q", PG_URL, "-c", f"CREATE DATABASE {name}"], check=True)
                    url = PG_URL.rsplit("/", 1)[0] + "/" + name if pg else os.path.join(work, "bench.sqlite")
                    try:
                        server, env = seeded(binary, url, work)
                        server.start()
                        try:
                            for scenario in ["me", "refresh"]:
                                log(f"round {round_ + 1}, {label}, {backend}: {scenario}")
                                results.setdefault((backend, scenario, label), []).append(measure(server, f"{scenario}.lua", env, pg))
                        finally:
                            server.stop()
                    finally:
                        if pg:
                            subprocess.run(["psql", "-q", PG_URL, "-c", f"DROP DATABASE {name} WITH (FORCE)"], check=True)
    print(f"\nbefore: {old_binary}\nafter:  {BIN}\n{CLIENTS} connections, {DURATION} s per route, two rounds each; rps counts 2xx only\n")
    for (backend, scenario, label), runs in sorted(results.items()):
        print(f"  {backend} {scenario} {label}: " + ", ".join(f"{r['rps']:.0f} rps" for r in runs))
    print()
    print(f"{'backend':<11} {'route':<17} {'before rps':>10} {'after rps':>10} {'after/before':>12} {'CPU ms before':>14} {'CPU ms after':>13}")
    for backend in ["SQLite", "PostgreSQL"]:
        for scenario, label in [("me", "GET /api/me"), ("refresh", "GET /api/refresh")]:
            before, after = results[(backend, scenario, "before")], results[(backend, scenario, "after")]
            mean = lambda runs, key: sum(r[key] for r in runs) / len(runs)
            print(f"{backend:<11} {label:<17} {mean(before, 'rps'):>10.0f} {mean(after, 'rps'):>10.0f} "
                  f"{mean(after, 'rps') / max(mean(before, 'rps'), 1):>12.2f} {mean(before, 'cpu_ms'):>14.3f} {mean(after, 'cpu_ms'):>13.3f}")


def main():
    if "--against" in sys.argv:
        need("wrk", "wrk")
        against(sys.argv[sys.argv.index("--against") + 1])
        return
    if "--stores" in sys.argv:
        if not os.path.exists(BIN):
            subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
        need("wrk", "wrk")
        with tempfile.TemporaryDirectory() as work:
            rate_limit_stores(work)
        return
    if not os.path.exists(BIN):
        log("building the release binary")
        subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
    if not need("wrk", "wrk"):
        sys.exit("wrk is required")
    build_ceiling()
    log("bcrypt verifications per second on all cores, cost 12")
    bcrypt = float(subprocess.run(["cargo", "run", "-q", "--release", "--locked", "--example", "bcrypt_rate", "--", "12", str(DURATION)],
                                  cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    rows = {}
    with tempfile.TemporaryDirectory() as work:
        algos = me_by_algorithm(work)
        rows["SQLite"] = run_backend("SQLite", os.path.join(work, "bench.sqlite"), work, pg=False)
        limits = {}
        if need("pgbench", "postgresql-client") and subprocess.run(["psql", PG_URL, "-c", "SELECT 1"], capture_output=True).returncode == 0:
            name = f"bench_{os.getpid()}"
            subprocess.run(["psql", "-q", PG_URL, "-c", f"CREATE DATABASE {name}"], check=True)
            db = PG_URL.rsplit("/", 1)[0] + "/" + name
            try:
                rows["PostgreSQL"] = run_backend("PostgreSQL", db, work, pg=True)
                limits = pgbench(db, work)
            finally:
                subprocess.run(["psql", "-q", PG_URL, "-c", f"DROP DATABASE {name} WITH (FORCE)"], check=True)
        else:
            log("PostgreSQL not reachable at BENCH_DATABASE_URL: SQLite only")
    report(rows, limits, bcrypt, algos)


def report(rows, limits, bcrypt, algos):
    print(f"\nmachine: {CORES} cores; wrk {CLIENTS} connections ({2 * CORES} for login/register), {DURATION} s after {WARMUP} s warm-up;"
          f" BCRYPT_ROUNDS=12; rps counts 2xx only\n")
    print(f"{'backend':<11} {'route':<15} {'rps':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>10} {'RSS MiB':>8} {'errors':>6} {'server CPU':>10}")
    for backend, r in rows.items():
        for key, label in [("me", "GET /api/me"), ("refresh", "GET /api/refresh"), ("login", "POST /api/login"),
                           ("register", "POST /api/register"), ("me_1m", "me, 1M blacklist")]:
            x = r[key]
            print(f"{backend:<11} {label:<15} {x['rps']:>9.0f} {x['p50']:>8.2f} {x['p99']:>8.2f} {x['cpu_ms']:>10.3f} {x['rss']:>8.1f} {x['errors']:>6} {x['server_cpu_ms']:>10.3f}")
    for algo, x in algos.items():
        print(f"{'SQLite':<11} {'me, ' + algo:<15} {x['rps']:>9.0f} {x['p50']:>8.2f} {x['p99']:>8.2f} {x['cpu_ms']:>10.3f} {x['rss']:>8.1f} {x['errors']:>6}")
    print(f"\nlimits: bcrypt {bcrypt:.1f} verifications/s on all cores", end="")
    if limits:
        print(f"; pgbench -S {limits['select']:.0f} tps; one-row insert {limits['insert']:.0f} tps ({CLIENTS} clients)")
    else:
        print()
    sq = rows["SQLite"]
    for key, label in [("stick", "stick, no db"), ("stick_sqlite", "stick, SQLite")]:
        x = sq[key]
        print(f"{'ceiling':<11} {label:<15} {x['rps']:>9.0f} {x['p50']:>8.2f} {x['p99']:>8.2f} {x['cpu_ms']:>10.3f} {x['rss']:>8.1f} {x['errors']:>6}")
    print("\nratios (target; issue 27's numbering, then the round-two targets kept):")
    checks = []
    pg = rows.get("PostgreSQL")
    stick, stick_sqlite = sq["stick"]["cpu_ms"], sq["stick_sqlite"]["cpu_ms"]
    ratio = sq["me"]["server_cpu_ms"] / stick_sqlite
    checks.append(("1. server CPU per /api/me, SQLite / stick with SQLite", ratio, "<= 1.5", ratio <= 1.5))
    if pg and limits:
        ratio = pg["me"]["server_cpu_ms"] / stick
        checks.append(("1. server CPU per /api/me, PG / stick without a db", ratio, "<= 3", ratio <= 3))
        ratio = pg["me"]["rps"] / limits["select"]
        checks.append(("1. /api/me PG / pgbench -S", ratio, ">= 0.7", ratio >= 0.7))
        ratio = pg["refresh"]["rps"] / limits["insert"]
        checks.append(("2. /api/refresh PG / one-row insert tps", ratio, ">= 0.5", ratio >= 0.5))
    ratio = sq["refresh"]["rps"] / sq["me"]["rps"]
    checks.append(("2. /api/refresh SQLite / /api/me SQLite", ratio, ">= 0.5", ratio >= 0.5))
    for backend, r in rows.items():
        for key in ["register", "login"]:
            ratio = r[key]["rps"] / bcrypt
            checks.append((f"3. {key} {backend} / bcrypt", ratio, ">= 0.9", ratio >= 0.9))
    if pg:
        checks.append(("kept: /api/me SQLite / PG", sq["me"]["rps"] / pg["me"]["rps"], ">= 1.5", sq["me"]["rps"] / pg["me"]["rps"] >= 1.5))
    for backend, r in rows.items():
        checks.append((f"kept: me p99 under {FLOOD} logins, {backend} (ms)", r["me_flood"]["p99"], "< 25", r["me_flood"]["p99"] < 25))
        flood = r["flood_login"]["rps"] / bcrypt
        checks.append((f"kept: logins during that flood / bcrypt, {backend}", flood, ">= 0.8", flood >= 0.8))
        shed = r["flood_login"]["errors"]
        checks.append((f"kept: of {FLOOD} concurrent logins, answers not 2xx, {backend}", shed, "= 0", shed == 0))
        peak = max(r[k]["rss"] for k in ["me", "refresh", "login", "register", "me_1m"])
        checks.append((f"kept: peak RSS {backend}", peak, "< 64 MiB", peak < 64))
        checks.append((f"kept: start to first 200, {backend}", r["start_ms"], "< 300 ms", r["start_ms"] < 300))
        drop = 1 - r["me_1m"]["rps"] / r["me"]["rps"]
        checks.append((f"kept: me rps drop at 1M rows, {backend} (%)", drop * 100, "< 10", drop < 0.10))
        ratio = r["me_prune"]["p99"] / max(r["me_4"]["p99"], 0.001)
        checks.append((f"kept: me p99 during prune / idle, {backend} ({r['prune_s']:.1f} s)", ratio, "<= 2", ratio <= 2))
    for algo in ["ES256", "EdDSA"]:
        ratio = algos[algo]["rps"] / algos["HS256"]["rps"]
        checks.append((f"kept: /api/me {algo} / HS256, SQLite", ratio, ">= 0.75", ratio >= 0.75))
    for label, value, target, ok in checks:
        print(f"  {'met    ' if ok else 'NOT MET'} {label:<52} {value:>9.2f}  {target}")


if __name__ == "__main__":
    main()
