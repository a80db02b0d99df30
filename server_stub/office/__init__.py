"""Head-office routes (admin token); filled in by the office module."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/office")
