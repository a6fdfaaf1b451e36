"""Place rows and panels on Grafana's 24-column grid, left to right, never overlapping.

Each row header takes a full-width line of height 1; its panels follow in shelves: a panel
that does not fit on the current shelf starts a new one below the tallest panel so far.
"""
from __future__ import annotations

from .style import PANEL_SIZES

GRID_COLUMNS = 24


def place(rows: list) -> int:
    """Set ``row.y`` and every ``panel.pos``; return the total height used."""
    y = 0
    for row in rows:
        row.y = y
        y += 1
        x, shelf = 0, 0
        for panel in row.panels:
            w, h = PANEL_SIZES[panel.type]
            if x + w > GRID_COLUMNS:
                y, x, shelf = y + shelf, 0, 0
            panel.pos = (x, y, w, h)
            x, shelf = x + w, max(shelf, h)
        y += shelf
    return y
