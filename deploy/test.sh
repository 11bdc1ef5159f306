#!/usr/bin/env bash
# Set up and run the whole test suite on a fresh machine: a virtualenv with the project and its test
# extra, the services the tests talk to, then ruff, mypy and pytest. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e '.[test]'

# Debian packages the tests drive for real: newsboat (a feed reader that must load our feeds).
missing=()
command -v newsboat >/dev/null 2>&1 || missing+=(newsboat)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "deploy/test.sh: please install: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
        exit 1
    fi
fi

# pywb (replay) and py-wacz (`wacz validate`) in a virtualenv of their own: pywb's pins clash with
# the project's (see deploy/requirements-replay.txt). Tests run them by path.
REPLAY_VENV=${REPLAY_VENV:-.venv-pywb}
if [ ! -x "$REPLAY_VENV/bin/python" ]; then
    "$PYTHON" -m venv "$REPLAY_VENV"
fi
"$REPLAY_VENV/bin/python" -m pip install --quiet -r deploy/requirements-replay.txt

# PostgreSQL and Redis: start them where they are installed but stopped (CI machines run as root).
if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if command -v redis-server >/dev/null 2>&1 && ! (redis-cli -h 127.0.0.1 ping >/dev/null 2>&1); then
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi

# Chromium for the browser sources and the web app's tests: scrapy-playwright and Playwright drive
# Debian's build (Playwright's own browser download cannot work without internet), with CJK fonts so
# Chinese pages render as readers see them. The tests never skip it.
browser_missing=()
command -v chromium >/dev/null 2>&1 || browser_missing+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || browser_missing+=(fonts-noto-cjk)
if [ ${#browser_missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${browser_missing[@]}" >/dev/null
    else
        echo "deploy/test.sh: please install: ${browser_missing[*]} (apt-get install ${browser_missing[*]})" >&2
        exit 1
    fi
fi

echo "== ruff"
"$VENV/bin/ruff" check crawler exporters schedules web tests bench
echo "== mypy"
"$VENV/bin/mypy"
echo "== import contracts"
"$VENV/bin/lint-imports"
echo "== pytest"
"$VENV/bin/python" -m pytest "$@"
