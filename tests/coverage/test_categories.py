"""Scenario categories: checkout and contention need writes, not a read of a matching path."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditkit.coverage import analyze
from auditkit.coverage.quality import parse_checks
from auditkit.errors import DataFileError
from auditkit.resources import data_file
from tests.coverage.conftest import default_config


def _categories(root: Path) -> dict[str, tuple[str, ...]]:
    result = analyze(root, default_config(root), secret_finder=None)
    return {t.path: t.categories for t in result.load_tests}


def test_reads_of_order_and_inventory_paths_are_not_checkout_or_contention(
    write: Callable[[str, str], Path], tmp_path: Path
) -> None:
    write("services/orders/tests/load/orders.sh", "hey -n 1000 -c 50 http://localhost:8080/api/orders/1\n")
    write(
        "services/orders/tests/load/browse.js",
        """
        import http from 'k6/http';
        export default function () {
          http.get(`${__ENV.BASE_URL}/inventory/items`);
          http.get(`${__ENV.BASE_URL}/api/payments/3`);
          http.get(`${__ENV.BASE_URL}/api/locks`);
        }
        """,
    )
    cats = _categories(tmp_path)
    for path in ("services/orders/tests/load/orders.sh", "services/orders/tests/load/browse.js"):
        assert "checkout" not in cats[path], path
        assert "contention" not in cats[path], path


def test_writes_to_order_and_reserve_paths_count(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    write("load/buy.sh", "hey -m POST -n 1000 -c 50 http://localhost:8080/api/orders\n")
    write(
        "load/hold.js",
        """
        import http from 'k6/http';
        export default function () { http.post(`${__ENV.BASE_URL}/api/tickets/${__VU}/reserve`, '{}'); }
        """,
    )
    write(
        "load/named.js",
        """
        import http from 'k6/http';
        import { group } from 'k6';
        export default function () { group('oversell the last seat', () => http.get(`${__ENV.BASE_URL}/api/x`)); }
        """,
    )
    cats = _categories(tmp_path)
    assert "checkout" in cats["load/buy.sh"] and "contention" not in cats["load/buy.sh"]
    assert "contention" in cats["load/hold.js"] and "checkout" not in cats["load/hold.js"]
    assert "contention" in cats["load/named.js"]


def _packaged() -> dict[str, Any]:
    return tomllib.loads(data_file("loadchecks", "checks.toml").read_text(encoding="utf-8"))


def test_category_needs_some_matcher_and_valid_write_patterns() -> None:
    data = _packaged()
    only_writes = copy.deepcopy(data)
    only_writes["category"] = [
        {"id": "c", "title": "t", "severity": "low", "write_patterns": ["/buy"], "remediation": "r"}
    ]
    loaded = parse_checks(only_writes, "x.toml")
    assert [p.pattern for p in loaded.categories[0].write_patterns] == ["/buy"]

    nothing = copy.deepcopy(data)
    nothing["category"] = [{"id": "c", "title": "t", "severity": "low", "remediation": "r"}]
    with pytest.raises(DataFileError, match="x.toml: category 'c': needs patterns, write_patterns or signals"):
        parse_checks(nothing, "x.toml")

    bad = copy.deepcopy(data)
    bad["category"] = [{"id": "c", "title": "t", "severity": "low", "write_patterns": ["("], "remediation": "r"}]
    with pytest.raises(DataFileError, match="category 'c': write_patterns: bad regular expression"):
        parse_checks(bad, "x.toml")
