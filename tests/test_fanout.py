"""fan_out: tenants of a directory with concurrency run side by side, bounded, in order."""

from __future__ import annotations

import threading
import time

from reconciler.planning.fanout import concurrency_of, fan_out


class Counting:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.threads: dict[str, set[int]] = {}

    def work(self, item: tuple[str, int]) -> str:
        group, n = item
        with self.lock:
            self.now[group] = self.now.get(group, 0) + 1
            self.most[group] = max(self.most.get(group, 0), self.now[group])
            self.threads.setdefault(group, set()).add(threading.get_ident())
        time.sleep(0.02 * (10 - n % 10) / 10)  # later items finish first
        with self.lock:
            self.now[group] -= 1
        return f"{group}{n}"


def test_results_in_input_order_with_each_group_bounded() -> None:
    items = [("g", n) for n in range(24)] + [("one", n) for n in range(5)] + [("g", 99)]
    counting = Counting()
    limits = {"g": 4, "one": 1}
    results = fan_out(items, counting.work, lambda i: i[0], limits.__getitem__)
    assert results == [f"{g}{n}" for g, n in items]
    assert counting.most["g"] == 4  # side by side, never more than its limit
    # A directory without concurrency runs in the calling thread, one tenant at a time.
    assert counting.most["one"] == 1
    assert counting.threads["one"] == {threading.get_ident()}


def test_concurrency_is_opt_in() -> None:
    class Plain:
        pass

    class Eight:
        concurrency = 8

    assert (concurrency_of(Plain()), concurrency_of(Eight())) == (1, 8)
