"""Head-office API (admin token): reports, the ledger export, imports, tills, the program and staff."""

from __future__ import annotations

from fastapi import APIRouter

from server_stub.office import routes_read, routes_write

router = APIRouter(prefix="/v1/office")
router.include_router(routes_read.router)
router.include_router(routes_write.router)
