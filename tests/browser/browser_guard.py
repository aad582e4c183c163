"""What a page under test tried to do that a report must never do."""

from __future__ import annotations

from dataclasses import dataclass, field

LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


@dataclass
class Guard:
    """What a page tried to do that a report must never do."""

    allowed: tuple[str, ...] = ()
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def allows(self, url: str) -> bool:
        return url.startswith(LOCAL_SCHEMES) or url.startswith(self.allowed)

    def check(self) -> None:
        assert not self.blocked, f"requests left the machine: {self.blocked}"
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.page_errors, f"uncaught page errors: {self.page_errors}"
