"""The store's own renderer against prometheus_client's, on the same aggregated data."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from exporter.aggregate import Aggregator
from exporter.events import decode
from exporter.guard import Guard
from exporter.loadgen import make_event, ndjson
from exporter.metrics import make_store


def samples(text: str) -> dict:
    return {(s.name, frozenset(s.labels.items())): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples
            if not s.name.endswith("_created")}


class StoreCollector:
    def __init__(self, store):
        self.store = store

    def collect(self):
        return self.store.collect()


def test_render_agrees_with_generate_latest_over_the_same_families():
    import random
    store, guard = make_store(), Guard(50)
    agg = Aggregator(store, guard)
    rng = random.Random(3)
    for _ in range(3):  # several deltas folded between scrapes
        agg.apply(decode(ndjson(make_event(rng, "rollback-wave") for _ in range(500)), True))
        ours = store.render().decode()
    reg = CollectorRegistry()
    reg.register(StoreCollector(store))
    theirs = generate_latest(reg).decode()
    assert samples(ours) == samples(theirs)
    assert samples(ours)  # not vacuous


def test_histogram_buckets_are_cumulative_and_count_equals_inf_bucket():
    store = make_store()
    agg = Aggregator(store, Guard())
    body = b"".join(
        b'{"type":"autonomy.decision","action":"a","outcome":"success","duration_seconds":%s}\n'
        % v for v in (b"0.004", b"0.005", b"0.3", b"100"))
    agg.apply(decode(body, True))
    s = samples(store.render().decode())

    def bucket(le):
        return s[("kiro_autonomy_decision_duration_seconds_bucket",
                  frozenset({"action": "a", "le": le}.items()))]
    assert bucket("0.005") == 2  # le is inclusive
    assert bucket("0.25") == 2 and bucket("0.5") == 3 and bucket("30.0") == 3
    assert bucket("+Inf") == 4
    assert s[("kiro_autonomy_decision_duration_seconds_count",
              frozenset({"action": "a"}.items()))] == 4
    assert s[("kiro_autonomy_decision_duration_seconds_sum",
              frozenset({"action": "a"}.items()))] == 100.309


def test_an_unchanged_family_is_served_from_cache_and_a_change_shows():
    store = make_store()
    agg = Aggregator(store, Guard())
    agg.apply(decode(b'{"type":"feature","team":"a"}', False))
    assert store.render() == store.render()
    agg.apply(decode(b'{"type":"feature","team":"a"}', False))
    assert b'kiro_features_delivered_total{team="a"} 2' in store.render()


def test_random_label_values_do_not_grow_memory_between_scrapes():
    """Folded label tuples are not cached: only admitted ones get a slot."""
    import random
    store = make_store()
    agg = Aggregator(store, Guard(5))
    rng = random.Random(9)
    body = b"".join(b'{"type":"hook.execution","hook":"h%d","outcome":"success"}\n'
                    % rng.getrandbits(40) for _ in range(5000))
    agg.apply(decode(body, True))
    assert len(store.delta["#hook"]) <= 5
    assert len(store.delta["kiro_hook_executions"]) == 6  # five hooks and "other"
    assert guard_folds(agg) == 4995


def guard_folds(agg) -> int:
    return agg.guard.folded["hook"]
