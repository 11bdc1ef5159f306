"""deploy/ stays in step with the code: every variable it sets is a real setting, every command parses.

Docker and systemd do not run here; these checks catch the drift that would break them.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from crawler.cli import build_parser
from crawler.config import Settings, load_config
from schedules.spec import load_schedules

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
SETTINGS = {f"FEEDARCHIVER_{name.upper()}" for name in Settings.__dataclass_fields__}
READ_ELSEWHERE = {"FEEDARCHIVER_DATA", "FEEDARCHIVER_CONFIG"}  # the CLI's --data / --config defaults


def env_example() -> dict[str, str]:
    """Every variable of the example, commented-out ones included."""
    values = {}
    for line in (DEPLOY / "feedarchiver.env.example").read_text(encoding="utf-8").splitlines():
        if found := re.match(r"#?([A-Z][A-Z0-9_]*)=(.*)$", line):
            values[found.group(1)] = found.group(2)
    return values


def test_env_example_names_real_settings_with_valid_values(tmp_path: Path) -> None:
    env = env_example()
    ours = {k for k in env if k.startswith("FEEDARCHIVER_")}
    assert ours and ours <= SETTINGS, ours - SETTINGS
    app = load_config(DEPLOY / "feedarchiver.example.toml", env=env)
    assert app.settings.daemon_max_crawls == int(env["FEEDARCHIVER_DAEMON_MAX_CRAWLS"])
    assert app.settings.schedule_store_url.startswith("postgresql://")
    assert {s.name for s in load_schedules(app)} == {"aggregators", "newspapers"}


def test_compose_wires_the_app_to_postgresql_redis_and_s3() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"feedarchiver", "postgres", "redis", "s3"} <= set(services)
    app = services["feedarchiver"]
    assert app["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert app["env_file"] == ".env" and app["init"] is True
    for name, value in app["environment"].items():
        assert not name.startswith("FEEDARCHIVER_") or name in SETTINGS, name
        for variable in re.findall(r"\$\{(\w+)", str(value)):
            assert variable in env_example(), f"{variable} is not in feedarchiver.env.example"
    assert "@postgres:5432/" in app["environment"]["FEEDARCHIVER_INDEX_URL"]
    assert "@postgres:5432/" in app["environment"]["FEEDARCHIVER_SCHEDULE_STORE_URL"]
    # The daemon must have time to let its crawls close their WARCs before Docker kills it.
    grace = int(app["stop_grace_period"].removesuffix("s"))
    assert grace > int(env_example()["FEEDARCHIVER_DAEMON_STOP_TIMEOUT"])
    assert set(app["depends_on"]) == {"postgres", "redis", "s3-bucket"}


def test_dockerfile_and_unit_run_commands_the_cli_accepts() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    cmd = re.search(r'^CMD \[(.*)\]$', dockerfile, re.MULTILINE)
    assert cmd
    argv = [part.strip().strip('"') for part in cmd.group(1).split(",")]
    assert argv[0] == "feedarchiver"
    args = build_parser().parse_args(argv[1:])
    assert (args.command, args.host, args.port) == ("daemon", "0.0.0.0", 8080)
    assert "/health" in dockerfile and "FEEDARCHIVER_CONFIG=/etc/feedarchiver/feedarchiver.toml" in dockerfile

    unit = (DEPLOY / "feedarchiver.service").read_text(encoding="utf-8")
    exec_start = re.search(r"^ExecStart=(.*)$", unit, re.MULTILINE)
    assert exec_start
    argv = shlex.split(exec_start.group(1))
    assert argv[0].endswith("/feedarchiver") and build_parser().parse_args(argv[1:]).command == "daemon"
    assert "KillMode=mixed" in unit  # one SIGTERM, to the daemon only
    stop = int(re.search(r"^TimeoutStopSec=(\d+)", unit, re.MULTILINE).group(1))  # type: ignore[union-attr]
    assert stop > Settings().daemon_stop_timeout
