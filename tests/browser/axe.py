"""Accessibility checks in the browser with axe-core (vendored for the tests only, run through the DevTools
protocol, so the app's Content-Security-Policy needs no exception)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.10.2.min.js"


def axe_violations(page: Page, selector: str = "main") -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations inside `selector`, one line each ("rule: target")."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        """async (selector) => {
            const result = await window.axe.run(selector, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return result.violations.flatMap(v => v.nodes.map(n => v.id + ': ' + n.target.join(' ')));
        }""",
        selector,
    )
    return list(found)
