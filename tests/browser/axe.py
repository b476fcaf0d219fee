"""Accessibility checks in the browser with axe-core (vendored for the tests only, run through the DevTools
protocol, so the app's Content-Security-Policy needs no exception)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.10.2.min.js"
# WCAG 2.0, 2.1 and 2.2, levels A and AA (2.2 added only AA rules to axe, target-size among them).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page: Page, selector: str = "main", detail: bool = False) -> list[str]:
    """axe-core's WCAG 2.2 A/AA violations inside `selector`, one line each ("rule: target"; with `detail`, what
    axe says is wrong with it too)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        """async ([selector, tags, detail]) => {
            const result = await window.axe.run(selector, {runOnly: {type: 'tag', values: tags},
                rules: {'target-size': {enabled: true}}, resultTypes: ['violations']});
            // 2.5.8's "equivalent" exception: a small target inside [data-target-equivalent] has a control of
            // full size for the same function elsewhere on the page (the attribute says which).
            const counts = (v, n) => !(v.id === 'target-size'
                && document.querySelector(n.target[0])?.closest('[data-target-equivalent]'));
            return result.violations.flatMap(v => v.nodes.filter(n => counts(v, n))
                .map(n => v.id + ': ' + n.target.join(' ')
                + (detail ? ' -- ' + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 300) : '')));
        }""",
        [selector, WCAG_TAGS, detail],
    )
    return list(found)
