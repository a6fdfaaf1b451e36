"""Clean grafanalib 0.7.1's output into Grafana's current dashboard JSON model.

grafanalib still emits the pre-Grafana-7 shape: ``rows``, ``style``, ``hideControls``,
panel keys such as ``editable``/``error``/``span``, legacy option blocks, ``null`` for
every unset field, datasources as names. The current schema (``additionalProperties:
false`` almost everywhere) rejects all of these, so each object keeps only the keys its
schema type has, ``null`` values go, and datasource names become ``{type, uid}`` objects.
"""
from __future__ import annotations

DASHBOARD_KEYS = ("uid", "title", "description", "tags", "timezone", "editable", "graphTooltip",
                  "time", "timepicker", "fiscalYearStartMonth", "liveNow", "weekStart", "refresh",
                  "schemaVersion", "panels", "templating", "annotations", "links")
PANEL_KEYS = ("type", "id", "title", "description", "transparent", "datasource", "gridPos", "links",
              "repeat", "repeatDirection", "maxPerRow", "transformations", "interval",
              "timeFrom", "timeShift", "hideTimeOverride", "targets", "options", "fieldConfig")
ROW_KEYS = ("type", "collapsed", "title", "datasource", "gridPos", "id", "panels", "repeat")
FIELD_KEYS = ("displayName", "description", "unit", "decimals", "min", "max", "mappings", "thresholds",
              "color", "links", "noValue", "custom")
TARGET_KEYS = ("datasource", "editorMode", "expr", "legendFormat", "instant", "range", "format", "refId")
VARIABLE_KEYS = ("type", "name", "label", "hide", "description", "query", "datasource", "current",
                 "multi", "options", "refresh", "sort", "includeAll", "allValue", "regex", "definition")
TIMEPICKER_KEYS = ("hidden", "refresh_intervals", "nowDelay")
LEGACY_OPTIONS = ("fieldOptions",)


def normalise(dashboard: dict) -> dict:
    """A new dashboard dict holding only current-schema keys, in grafanalib's order."""
    out = _keep(dashboard, DASHBOARD_KEYS)
    out["timepicker"] = _keep(dashboard["timepicker"], TIMEPICKER_KEYS)
    out["templating"] = {"list": [_variable(v) for v in dashboard["templating"]["list"]]}
    out["panels"] = [_panel(p) for p in dashboard["panels"]]
    return _order(out, DASHBOARD_KEYS)


def _drop_nulls(value):
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _keep(data: dict, keys: tuple[str, ...]) -> dict:
    return {k: _drop_nulls(v) for k, v in data.items() if k in keys and v is not None}


def datasource(value):
    """A datasource reference as the current model wants it: ``{type, uid}``, never a bare name."""
    if isinstance(value, str):
        return {"type": "prometheus", "uid": value}
    return value


def _variable(variable: dict) -> dict:
    out = _keep(variable, VARIABLE_KEYS)
    current = out.pop("current", {})
    if current.get("value") is not None:
        all_selected = current["value"] == "$__all"
        out["current"] = {"selected": True, "text": "All" if all_selected else current["value"],
                          "value": current["value"]}
    if "datasource" in out:
        out["datasource"] = datasource(out["datasource"])
    if out.get("type") == "query":
        out["definition"] = out["query"]
    return _order(out, VARIABLE_KEYS)


def _panel(panel: dict) -> dict:
    if panel.get("type") == "row":
        out = _keep(panel, ROW_KEYS)
        out["panels"] = [_panel(p) for p in panel.get("panels", [])]
        return _order(out, ROW_KEYS)
    out = _keep(panel, PANEL_KEYS)
    out["datasource"] = datasource(out.get("datasource"))
    out["targets"] = [_target(t) for t in out.get("targets", [])]
    field_config = out.get("fieldConfig", {})
    defaults = _keep(field_config.get("defaults", {}), FIELD_KEYS)
    if "thresholds" in defaults:
        defaults["thresholds"] = _thresholds(field_config["defaults"]["thresholds"])
    out["fieldConfig"] = {"defaults": defaults, "overrides": [_override(o) for o in field_config.get("overrides", [])]}
    options = {k: v for k, v in out.get("options", {}).items() if k not in LEGACY_OPTIONS}
    out["options"] = options
    return _order(out, PANEL_KEYS)


def _override(override: dict) -> dict:
    """Thresholds inside an override get the same ``null`` first step as the defaults' thresholds."""
    properties = [dict(p, value=_thresholds(p["value"])) if p["id"] == "thresholds" else p
                  for p in override["properties"]]
    return {**override, "properties": properties}


def _thresholds(thresholds: dict) -> dict:
    """Steps as ``{color, value}`` (first value ``null``: minus infinity, as Grafana writes it)."""
    steps = [{"color": s["color"], "value": s.get("value")} for s in thresholds.get("steps") or []]
    if steps:
        steps[0]["value"] = None
    return {"mode": thresholds.get("mode", "absolute"), "steps": steps}


def _target(target: dict) -> dict:
    out = _keep(target, TARGET_KEYS)
    out["datasource"] = datasource(out.get("datasource"))
    out["editorMode"] = "code"
    out["range"] = not out.get("instant", False)
    return _order(out, TARGET_KEYS)


def _order(data: dict, keys: tuple[str, ...]) -> dict:
    """Keys in the schema's order, so every generated object reads the same way."""
    return {k: data[k] for k in keys if k in data}
