"""OPS-5, OPS-8 (operator side): the Grafana dashboard, the Prometheus alert rules and the
runbook in `deploy/` and `docs/` speak only of metrics and labels the daemon really exports,
and of commands the CLI really has.

The reference is the daemon's complete registry, built as the daemon builds it: one
`Metrics()` plus every part that registers on it.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

DASHBOARD = Path("deploy/grafana/trader-dashboard.json")
ALERTS = Path("deploy/prometheus/trader-alerts.yml")
RUNBOOK = Path("docs/runbook.md")

# labels Prometheus itself attaches (target labels) or that PromQL uses on histograms
GENERIC_LABELS = {"job", "instance", "le", "quantile"}
SEVERITIES = {"critical", "warning", "info"}
# the sample names Prometheus stores for each family type (`_created` is disabled)
SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count"),
    "info": ("_info",),
}

METRIC = re.compile(r"(?<![A-Za-z0-9_:])(trader_[a-z0-9_]+)")
SELECTOR = re.compile(r"(?<![A-Za-z0-9_:])(trader_[a-z0-9_]+)\s*\{([^}]*)\}")
MATCHER = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"')
GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")


# -- the daemon's registry ---------------------------------------------------------------
def _info_labels() -> set[str]:
    """The Info metric's labels are set at start (`Daemon._start`), not declared."""
    from trader.daemon.app import Daemon

    call = re.search(r"self\.metrics\.info\.info\(\s*\{([^}]*)\}", inspect.getsource(Daemon))
    assert call, "Daemon no longer sets trader_build_info as this test expects"
    return set(re.findall(r'"([a-z_]+)"\s*:', call.group(1)))


@pytest.fixture(scope="module")
def registry() -> dict[str, tuple[str, set[str]]]:
    """family name -> (type, label names), for every metric the daemon exports."""
    from trader.daemon.trading.gauges import TradingMetrics
    from trader.exchange.metrics import adapter_metrics
    from trader.execution.metrics import ExecutionMetrics
    from trader.marketdata.metrics import market_data_metrics
    from trader.ops.lifecycle import ComponentMetrics
    from trader.ops.metrics import Metrics

    metrics = Metrics()  # one registry: every part registers on it, as in the daemon
    adapter_metrics(metrics)
    market_data_metrics(metrics)
    ExecutionMetrics(metrics)
    TradingMetrics(metrics)
    ComponentMetrics(metrics)
    families: dict[str, tuple[str, set[str]]] = {}
    # prometheus_client has no public accessor for declared label names: `_labelnames`
    for collector in metrics.registry._collector_to_names:
        kind = collector._type  # type: ignore[attr-defined]
        labels = set(collector._labelnames)  # type: ignore[attr-defined]
        if kind == "info":
            labels |= _info_labels()
        families[collector._name] = (kind, labels)  # type: ignore[attr-defined]
    assert {m.name for m in metrics.registry.collect()} == set(families)
    return families


def _series_names(registry: dict[str, tuple[str, set[str]]]) -> dict[str, str]:
    """Every name PromQL can select (`trader_cycles_total`, `..._bucket`) -> its family."""
    names: dict[str, str] = {}
    for family, (kind, _) in registry.items():
        for suffix in SUFFIXES[kind]:
            names[family + suffix] = family
    return names


# -- the PromQL checker ------------------------------------------------------------------
def promql_problems(expr: str, registry: dict[str, tuple[str, set[str]]]) -> list[str]:
    """Unknown trader metric names, and labels a trader metric does not have, in `expr`."""
    series = _series_names(registry)
    problems: list[str] = []
    families: set[str] = set()
    for name in METRIC.findall(expr):
        family = series.get(name)
        if family is None:
            problems.append(f"unknown metric {name}")
        else:
            families.add(family)
    for name, matchers in SELECTOR.findall(expr):
        family = series.get(name)
        if family is None:
            continue
        for label in MATCHER.findall(matchers):
            if label not in registry[family][1] | GENERIC_LABELS:
                problems.append(
                    f"{name} has no label {label!r} (it has {sorted(registry[family][1])})"
                )
    # a grouping label must belong to a trader metric of the same expression
    known = GENERIC_LABELS.union(*(registry[f][1] for f in families))
    for clause, labels in GROUPING.findall(expr):
        for label in (part.strip() for part in labels.split(",")):
            if label and label not in known:
                problems.append(
                    f"{clause} ({label}): not a label of {sorted(families) or 'any trader metric'}"
                )
    return problems


def test_ops5_promql_checker_catches_unknown_names_and_labels(registry):
    good = [
        'sum by (status) (rate(trader_cycles_total{job="t"}[5m]))',
        "histogram_quantile(0.99, sum by (le, stage) "
        "(rate(trader_stage_duration_seconds_bucket[5m])))",
        "sum by (version) (trader_build_info)",
    ]
    assert [promql_problems(expr, registry) for expr in good] == [[], [], []]
    assert promql_problems("rate(trader_nope_total[5m])", registry) == [
        "unknown metric trader_nope_total"
    ]
    assert promql_problems("rate(trader_fills[5m])", registry) == ["unknown metric trader_fills"]
    assert promql_problems("trader_cycle_duration_seconds", registry)  # histograms: suffixes only
    assert promql_problems('trader_cycles_total{stage="x"}', registry)
    assert promql_problems("sum by (product) (trader_equity)", registry)


# -- the files ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dashboard(repo_root: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((repo_root / DASHBOARD).read_text())
    return document


@pytest.fixture(scope="module")
def alert_rules(repo_root: Path) -> list[dict[str, Any]]:
    document = yaml.safe_load((repo_root / ALERTS).read_text())
    assert isinstance(document, dict) and document.get("groups"), "no rule groups"
    rules: list[dict[str, Any]] = []
    for group in document["groups"]:
        assert group.get("name") and group.get("rules"), f"group without name or rules: {group}"
        rules += group["rules"]
    return rules


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found += panel.get("panels", [])  # panels inside a collapsed row
    return found


def _query_panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in _panels(dashboard) if p.get("type") != "row"]


def _dashboard_exprs(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, expr) for every PromQL query: panel targets, annotations, template variables."""
    exprs = [
        (f"panel {p['id']} {p.get('title')!r}", target["expr"])
        for p in _query_panels(dashboard)
        for target in p.get("targets", [])
        if target.get("expr")
    ]
    exprs += [
        (f"annotation {a.get('name')!r}", a["expr"])
        for a in dashboard.get("annotations", {}).get("list", [])
        if a.get("expr")
    ]
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        if variable.get("type") == "query":
            text = query.get("query") if isinstance(query, dict) else query
            exprs.append((f"variable {variable['name']}", text))
    return exprs


def _all_exprs(dashboard, alert_rules) -> list[tuple[str, str]]:
    return _dashboard_exprs(dashboard) + [
        (f"alert {rule['alert']}", str(rule["expr"])) for rule in alert_rules
    ]


# -- the dashboard -----------------------------------------------------------------------
def test_ops5_dashboard_is_a_grafana_dashboard_with_job_and_instance_variables(dashboard):
    assert dashboard["schemaVersion"] >= 36
    assert dashboard["title"] and dashboard["uid"]
    assert [i["name"] for i in dashboard["__inputs"]] == ["DS_PROMETHEUS"]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["DS_PROMETHEUS"]["type"] == "datasource"
    assert variables["DS_PROMETHEUS"]["query"] == "prometheus"
    for name in ("job", "instance"):
        assert variables[name]["type"] == "query"
        assert variables[name]["datasource"]["uid"] == "${DS_PROMETHEUS}"
    ids = [p["id"] for p in _panels(dashboard)]
    assert len(ids) == len(set(ids)), f"duplicate panel ids: {sorted(ids)}"
    for panel in _query_panels(dashboard):
        where = f"panel {panel['id']} {panel.get('title')!r}"
        assert panel.get("title"), f"{where}: no title"
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", where
        assert set(panel["gridPos"]) >= {"h", "w", "x", "y"}, where
        targets = panel.get("targets") or []
        assert targets, f"{where}: no target"
        for target in targets:
            assert target.get("expr", "").strip(), f"{where}: target without expr"
            assert target["datasource"]["uid"] == "${DS_PROMETHEUS}", where
        ref_ids = [t["refId"] for t in targets]
        assert len(ref_ids) == len(set(ref_ids)), f"{where}: duplicate refId"


def test_ops5_dashboard_queries_filter_by_the_job_and_instance_variables(dashboard):
    unfiltered = [
        (where, name)
        for where, expr in _dashboard_exprs(dashboard)
        if not where.startswith("variable")
        for name, matchers in SELECTOR.findall(expr)
        if not ('job=~"$job"' in matchers and 'instance=~"$instance"' in matchers)
    ]
    unfiltered += [
        (where, name)
        for where, expr in _dashboard_exprs(dashboard)
        if not where.startswith("variable")
        for name in METRIC.findall(re.sub(SELECTOR, "", expr))
    ]
    assert not unfiltered, f"trader metrics not filtered by $job/$instance: {unfiltered}"


def test_ops5_dashboard_shows_every_exported_metric(dashboard, registry):
    series = _series_names(registry)
    shown = {
        series[name]
        for _, expr in _dashboard_exprs(dashboard)
        for name in METRIC.findall(expr)
        if name in series
    }
    assert not set(registry) - shown, f"metrics on no panel: {sorted(set(registry) - shown)}"


# -- the alert rules ---------------------------------------------------------------------
def test_ops5_alert_rules_have_expr_for_severity_summary_and_description(alert_rules):
    names = [rule.get("alert") for rule in alert_rules]
    assert all(names), "a rule without `alert` (recording rules do not belong in this file)"
    assert len(names) == len(set(names)), "duplicate alert names"
    for rule in alert_rules:
        where = rule["alert"]
        assert str(rule.get("expr", "")).strip(), f"{where}: no expr"
        assert re.fullmatch(r"\d+[smh]", str(rule.get("for", ""))), f"{where}: no valid `for`"
        assert rule.get("labels", {}).get("severity") in SEVERITIES, f"{where}: severity"
        annotations = rule.get("annotations", {})
        assert annotations.get("summary"), f"{where}: no summary"
        assert annotations.get("description"), f"{where}: no description"


# what an operator of real money must hear about, as (what, pattern in some alert's expr)
REQUIRED_ALERTS = [
    ("kill switch active", r"trader_kill_switch_active"),
    ("trading HALTED", r'trader_trading_state\{state="HALTED"\}'),
    ("data stale beyond 120 s", r"trader_market_data_age_seconds > 120"),
    ("market stream down", r"trader_market_stream_up == 0"),
    ("clock skew over 1 s", r"abs\(trader_clock_offset_seconds\) > 1\b"),
    ("reconcile mismatch", r"increase\(trader_reconcile_mismatches_total\[\w+\]\) > 0"),
    ("SUBMITTING older than 30 s", r"trader_intents_unknown_oldest_seconds > 30\b"),
    ("event-loop lag p99", r"histogram_quantile\(0\.99,[^;]*trader_event_loop_lag_seconds_bucket"),
    ("process down", r"\bup\{[^}]*\} == 0"),
    ("no trader_up at all", r"absent\(trader_up\)"),
    ("cycles FAILED", r'trader_cycles_total\{status="FAILED"\}'),
    ("no cycle for 3 min", r"time\(\) - trader_last_cycle_timestamp_seconds > 180"),
    ("rate-limit headroom near zero", r"trader_rate_limit_headroom < 0\.\d+"),
]


@pytest.mark.parametrize(("what", "pattern"), REQUIRED_ALERTS, ids=[w for w, _ in REQUIRED_ALERTS])
def test_ops5_alerts_cover_the_operator_conditions(alert_rules, what, pattern):
    exprs = [" ".join(str(rule["expr"]).split()) for rule in alert_rules]
    assert any(re.search(pattern, expr) for expr in exprs), f"no alert for {what}"


# -- both files against the registry -----------------------------------------------------
def test_ops5_every_promql_metric_and_label_exists_in_the_registry(
    dashboard, alert_rules, registry
):
    exprs = _all_exprs(dashboard, alert_rules)
    assert len(exprs) > 40
    problems = [
        f"{where}: {problem}"
        for where, expr in exprs
        for problem in promql_problems(expr, registry)
    ]
    assert not problems, "\n".join(problems)


def test_ops5_promtool_check_rules(repo_root: Path):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not on PATH; the rules are checked by the YAML and name tests")
    result = subprocess.run(
        [promtool, "check", "rules", str(repo_root / ALERTS)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


ALERT_TESTS = "deploy/prometheus/trader-alerts.test.yml"


def test_ops5_every_alert_has_a_firing_and_a_quiet_promtool_case(repo_root: Path, alert_rules):
    cases = yaml.safe_load((repo_root / ALERT_TESTS).read_text())["tests"]
    checks = [check for case in cases for check in case["alert_rule_test"]]
    firing = {c["alertname"] for c in checks if c["exp_alerts"]}
    quiet = {c["alertname"] for c in checks if not c["exp_alerts"]}
    names = {rule["alert"] for rule in alert_rules}
    assert names - firing == set(), "alerts no case fires"
    assert names - quiet - {"TraderMetricsAbsent"} == set(), "alerts no case keeps quiet"


def test_ops5_promtool_test_rules(repo_root: Path):
    """The alert unit tests, run by promtool (CI installs it from the `prometheus` package)."""
    promtool = shutil.which("promtool")
    if promtool is None and os.environ.get("CI"):
        pytest.fail("promtool is not on PATH in CI (.ci/run installs it)")
    if promtool is None:
        pytest.skip("promtool is not on PATH")
    result = subprocess.run(
        [promtool, "test", "rules", str(repo_root / ALERT_TESTS)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _counts_events(expr: str) -> bool:
    """A panel that counts or sums events (or filters a gauge down to the interesting
    series): before the first event it must show 0, not Grafana's "No data". Quantiles and
    ratios have no value before their first sample, and say so."""
    if "histogram_quantile" in expr or " / " in expr:
        return False
    return bool(re.match(r"\(?\s*(sum|count)\b", expr)) or "!= 0" in expr or " > " in expr


def test_ops5_dashboard_counts_show_zero_before_the_first_event(
    dashboard, repo_root: Path, tmp_path: Path
):
    """Each counting panel is evaluated by promtool on an empty TSDB (a daemon that has
    seen no event exports no labelled series): it must give one sample, 0."""
    promtool = shutil.which("promtool")
    if promtool is None and os.environ.get("CI"):
        pytest.fail("promtool is not on PATH in CI (.ci/run installs it)")
    if promtool is None:
        pytest.skip("promtool is not on PATH")
    exprs = [
        (where, expr)
        for where, expr in _dashboard_exprs(dashboard)
        if where.startswith("panel") and _counts_events(expr)
    ]
    assert len(exprs) >= 20, "the dashboard's counting panels were not found"
    cases = [
        {
            "expr": expr.replace("$__range", "1h").replace("$job", ".*").replace("$instance", ".*"),
            "eval_time": "10m",
            "exp_samples": [{"labels": "{}", "value": 0}],
        }
        for _, expr in exprs
    ]
    spec = {"tests": [{"interval": "1m", "input_series": [], "promql_expr_test": cases}]}
    path = tmp_path / "empty.test.yml"
    path.write_text(yaml.safe_dump(spec))
    result = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# -- the runbook -------------------------------------------------------------------------
def test_ops8_runbook_explains_every_alert(repo_root: Path, alert_rules):
    runbook = (repo_root / RUNBOOK).read_text()
    missing = [rule["alert"] for rule in alert_rules if f"`{rule['alert']}`" not in runbook]
    assert not missing, f"alerts the runbook does not explain: {missing}"


def _runbook_commands(text: str) -> list[str]:
    """`trader ...` invocations, inline or on lines of a fenced block (comments dropped)."""
    found: list[str] = []
    spans = re.findall(r"`([^`\n]+)`", text)
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    lines = [line.split(" #")[0] for block in blocks for line in block.splitlines()]
    for candidate in spans + lines:
        match = re.match(
            r"^(?:sudo -u \S+\s+)?(?:\S*python -m trader|(?:\S*/)?trader)\s+(.*)$",
            candidate.strip(),
        )
        if match and re.match(r"^[a-z-]+(\s|$)", match.group(1)):
            found.append(match.group(1).strip())
    return found


def test_ops8_runbook_commands_parse_with_the_real_cli(repo_root: Path):
    from trader.cli import build_parser

    commands = _runbook_commands((repo_root / RUNBOOK).read_text())
    assert len(commands) >= 10
    parser = build_parser()
    refused = []
    for command in commands:
        try:
            parser.parse_args(shlex.split(command))
        except SystemExit:
            refused.append(command)
    assert not refused, f"runbook commands the CLI refuses: {refused}"
