"""Memoised timings: the per-process LRU and the directory a sweep's workers share."""

from __future__ import annotations

import multiprocessing

import pytest

from archsim.engine import memo


@pytest.fixture
def shared(tmp_path):
    memo.share(tmp_path)
    yield tmp_path
    memo.share(None)


def test_lru_computes_each_key_once_and_evicts_the_oldest():
    calls = []
    m = memo.Memo("t", size=2)
    for key in ["a", "b", "a", "c", "b"]:
        m.get(key, lambda k=key: calls.append(k) or k.upper())
    assert calls == ["a", "b", "c", "b"]  # "b" was evicted by "c" ("a" had been used last)


def _read_in_child(directory, queue):
    memo.share(directory)
    queue.put(memo.Memo("t", 4).get(("key", 1), lambda: "recomputed"))


def test_another_process_reads_what_one_computed(shared):
    assert memo.Memo("t", 4).get(("key", 1), lambda: "computed") == "computed"
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_read_in_child, args=(str(shared), queue))
    child.start()
    child.join(60)
    assert queue.get(timeout=5) == "computed"


def test_a_damaged_entry_is_computed_again(shared):
    memo.Memo("t", 4).get("k", lambda: 1)
    (entry,) = [p for p in shared.iterdir() if p.name.startswith("t-")]
    entry.write_bytes(b"not a pickle")
    assert memo.Memo("t", 4).get("k", lambda: 2) == 2


def test_names_keep_memos_apart(shared):
    memo.Memo("x", 4).get("k", lambda: "x")
    assert memo.Memo("y", 4).get("k", lambda: "y") == "y"
