"""Fixtures of the packaging tests: a seeded server on a fresh SQLite file."""

from __future__ import annotations

from tests.packaging.till_world import till_world  # noqa: F401 - a fixture
