"""Tailed NDJSON files: restart from the checkpoint, rotation and truncation."""

from __future__ import annotations

import json
import os

FLAGS = ("--checkpoint-dir", "ckpt")


def lines(n: int, hook: str = "spool") -> bytes:
    return b"".join(json.dumps({"type": "hook.execution", "hook": hook, "outcome": "success"})
                    .encode() + b"\n" for _ in range(n))


def count(p, hook="spool") -> float:
    return p.total("kiro_hook_executions_total", hook=hook)


def settles_at(p, n, hook="spool"):
    assert p.wait_for(lambda: count(p, hook) >= n), count(p, hook)
    assert p.wait_for(lambda: p.value("kiro_exporter_file_tail_lag_bytes",
                                    path=str(p.spool)) == 0)
    assert count(p, hook) == n


def start(start_exporter, tmp_path):
    spool = tmp_path / "hooks.ndjson"
    p = start_exporter("--file", str(spool), *FLAGS)
    p.spool = spool
    return p


def test_a_restart_from_the_checkpoint_loses_and_repeats_nothing(start_exporter, tmp_path):
    spool = tmp_path / "hooks.ndjson"
    spool.write_bytes(lines(300))
    p = start(start_exporter, tmp_path)
    settles_at(p, 300)
    assert p.stop() == 0
    # written while the exporter is down, with a half-written last line
    with open(spool, "ab") as fh:
        fh.write(lines(200) + b'{"type": "hook.execution", "hook": "spo')
    p2 = start(start_exporter, tmp_path)
    assert p2.wait_for(lambda: count(p2) >= 200)
    assert count(p2) == 200  # not 500: the first 300 are not counted again
    with open(spool, "ab") as fh:
        fh.write(b'ol", "outcome": "success"}\n')
    assert p2.wait_for(lambda: count(p2) == 201)
    assert p2.value("kiro_exporter_events_accepted_total", source="file",
                    type="hook.execution") == 201


def test_rotation_reads_the_old_file_to_its_end_then_the_new_one(start_exporter, tmp_path):
    p = start(start_exporter, tmp_path)
    with open(p.spool, "ab") as fh:
        fh.write(lines(100))
    settles_at(p, 100)
    with open(p.spool, "ab") as fh:
        fh.write(lines(50))  # may or may not be read before the rename
    os.rename(p.spool, str(p.spool) + ".1")
    p.spool.write_bytes(lines(70))
    assert p.wait_for(lambda: count(p) >= 220)
    settles_at(p, 220)


def test_rotation_while_down_drains_the_rotated_file(start_exporter, tmp_path):
    p = start(start_exporter, tmp_path)
    with open(p.spool, "ab") as fh:
        fh.write(lines(10))
    settles_at(p, 10)
    p.stop()
    with open(p.spool, "ab") as fh:
        fh.write(lines(5))
    os.rename(p.spool, str(p.spool) + ".1")
    p.spool.write_bytes(lines(7))
    p2 = start(start_exporter, tmp_path)
    settles_at(p2, 12)


def test_truncation_restarts_at_the_beginning(start_exporter, tmp_path):
    p = start(start_exporter, tmp_path)
    p.spool.write_bytes(lines(40))
    settles_at(p, 40)
    p.spool.write_bytes(lines(3, hook="after"))  # truncate and rewrite, shorter
    assert p.wait_for(lambda: count(p, "after") == 3)
    assert count(p) == 40


def test_bad_lines_in_a_file_are_counted_as_rejected(start_exporter, tmp_path):
    p = start(start_exporter, tmp_path)
    p.spool.write_bytes(lines(2) + b"garbage\n" + lines(1))
    settles_at(p, 3)
    assert p.value("kiro_exporter_events_rejected_total", source="file", type="unknown",
                   reason="invalid_json") == 1
