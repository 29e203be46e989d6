"""Fixtures shared by the whole suite: real loopback sshd, TLS/HTTP listeners, the CLI and the demo lab scan."""

from tests.cli_fixtures import run_cli  # noqa: F401
from tests.demo_fixtures import demo_scan  # noqa: F401
from tests.host_lab import host_root, loose_sshd  # noqa: F401
from tests.ssh_fixtures import *  # noqa: F401,F403
from tests.tls_fixtures import *  # noqa: F401,F403


import os  # noqa: E402

import pytest  # noqa: E402


# Under libfaketime (the shifted-clock pass of scripts/test.sh) a timed wait on a Python lock or event that nobody
# notifies never wakes: Python waits with sem_clockwait on CLOCK_MONOTONIC, which libfaketime fakes but does not
# intercept (libfaketime issue #390), and its FAKETIME_DONT_FAKE_MONOTONIC work-around breaks time.sleep (EINVAL).
# A test whose verdict needs such a wait to time out is marked `real_timers` and skipped in that pass only, by name
# and with this reason in the summary. Dates are what the pass is about; those tests run in the real-clock pass.
UNDER_FAKETIME = "faketime" in os.environ.get("LD_PRELOAD", "")


def pytest_collection_modifyitems(config, items):
    if not UNDER_FAKETIME:
        return
    skip = pytest.mark.skip(reason="needs a timed lock wait to expire, which never happens under libfaketime "
                                   "(#390); runs in the real-clock pass")
    for item in items:
        if item.get_closest_marker("real_timers"):
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _private_history_db(tmp_path_factory):
    """Scans in tests store their history in a throwaway database, never the user's ~/.local/share one."""
    os.environ["FOURLAYER_DB"] = str(tmp_path_factory.mktemp("history") / "history.sqlite")
    yield


@pytest.fixture(autouse=True, scope="session")
def _vulnerability_table_of_today(tmp_path_factory):
    """The shipped offline table, re-dated to the clock that judges it (the real date, or libfaketime's).

    The shipped table carries the date it was last reviewed and turns stale `vulns.max_table_age_days` later;
    a test that expects a clean version verdict must not start failing on that day. Tests of staleness give
    their own clock (tests/checks/test_checks_http.py) or their own table (tests/advisories/test_vulndb.py).
    """
    import datetime as dt

    from fourlayer.advisories.banner_table import DEFAULT_TABLE_PATH, TABLE_ENV, load_table

    text = DEFAULT_TABLE_PATH.read_text(encoding="utf-8")
    shipped = load_table(DEFAULT_TABLE_PATH).updated.isoformat()
    assert f"\nupdated: {shipped}\n" in text, "the shipped table's top-level `updated:` line moved"
    path = tmp_path_factory.mktemp("vulndb") / "vulnerable_versions.yaml"
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    path.write_text(text.replace(f"\nupdated: {shipped}\n", f"\nupdated: {today}\n", 1), encoding="utf-8")
    old = os.environ.get(TABLE_ENV)
    os.environ[TABLE_ENV] = str(path)
    yield path
    if old is None:
        os.environ.pop(TABLE_ENV, None)
    else:
        os.environ[TABLE_ENV] = old


@pytest.fixture(scope="session")
def rabbit(tmp_path_factory):
    """A real RabbitMQ node on loopback for the whole session (it takes seconds to start): tests/rabbitmq_node.py."""
    from tests.rabbitmq_node import RabbitNode, available

    if not available():
        pytest.skip("rabbitmq-server is not installed (scripts/setup.sh installs it)")
    node = RabbitNode(tmp_path_factory.mktemp("rabbitmq"))
    try:
        node.start()
        yield node
    finally:
        node.stop()
