"""The three verdict levels and how checks combine into one."""

from __future__ import annotations

OK, WARN, ALERT = "ok", "warn", "alert"
LEVELS: tuple[str, ...] = (OK, WARN, ALERT)


def severity(status: str) -> int:
    """0 for ``ok``, 1 for ``warn``, 2 for ``alert``."""
    return LEVELS.index(status)


def worst(*statuses: str) -> str:
    """The most severe of ``statuses`` (``ok`` when there are none)."""
    return max(statuses, key=severity, default=OK)


def graded(significant: bool, effect: float, warn_floor: float, alert_floor: float) -> str:
    """``alert``/``warn`` when a significant change reaches a floor, else ``ok``."""
    if not significant:
        return OK
    if effect >= alert_floor:
        return ALERT
    if effect >= warn_floor:
        return WARN
    return OK
