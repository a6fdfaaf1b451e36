"""Every panel, variable and annotation query is accepted by a real Prometheus query parser.

Template variables are replaced as Grafana would (multi-value ``$label`` by ``.*``, the
built-in intervals by durations) and each query is sent to an empty Prometheus on loopback:
``success`` means it parsed and type-checked, ``bad_data`` names the broken query.
"""
from __future__ import annotations

import re

import requests

from generators.promcheck import substitute_variables as substitute

from .conftest import leaf_panels

LABEL_VALUES = re.compile(r"^label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$")


def every_query(boards: dict) -> list[tuple[str, str]]:
    """``(where, PromQL)`` for every target, filter variable (its selector) and annotation."""
    found = []
    for audience, board in boards.items():
        for panel in leaf_panels(board):
            found += [(f"{audience}/{panel['title']}/{t['refId']}", t["expr"]) for t in panel["targets"]]
        for variable in board["templating"]["list"]:
            if variable["type"] == "query":
                match = LABEL_VALUES.match(variable["query"])
                assert match, f"{audience} variable {variable['name']}: {variable['query']}"
                found.append((f"{audience}/${variable['name']}", match.group(1)))
        for annotation in board["annotations"]["list"]:
            if "expr" in annotation:
                found.append((f"{audience}/annotation {annotation['name']}", annotation["expr"]))
    return found


def test_substitution_replaces_every_variable():
    assert substitute('x{service=~"$service"}[$__rate_interval] ${instance}') == 'x{service=~".*"}[5m] .*'


def test_every_query_parses_on_a_real_prometheus(boards, prometheus):
    queries = every_query(boards)
    assert len(queries) > 100
    rejected = []
    with requests.Session() as session:
        for where, expr in queries:
            response = session.get(f"{prometheus}/api/v1/query", params={"query": substitute(expr)}, timeout=10)
            body = response.json()
            if body.get("status") != "success":
                rejected.append(f"{where}: {body.get('errorType')}: {body.get('error')}\n    {expr}")
    assert not rejected, "\n".join(rejected)


def test_a_broken_query_is_rejected_so_the_check_can_fail(prometheus):
    body = requests.get(f"{prometheus}/api/v1/query", params={"query": "sum by (le (x)"}, timeout=10).json()
    assert body["status"] == "error" and body["errorType"] == "bad_data"
