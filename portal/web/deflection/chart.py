"""The deflection chart: pygal's SVG without its scripts, to be served as an image (`<img src>`)."""

from __future__ import annotations

from xml.etree import ElementTree

import pygal
from pygal.style import Style

from portal.i18n import gettext as _
from portal.services.deflection import DailyFigures

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    colors=("#2563eb", "#16a34a", "#dc2626"),
    font_family="system-ui, sans-serif",
)


def daily_chart(figures: DailyFigures) -> str:
    """Impressions, deflections and cases opened after suggestions per day, as a standalone SVG document."""
    chart = pygal.Line(
        js=[],  # no tooltips script; the inline config script pygal adds anyway is removed below
        width=900,
        height=320,
        style=STYLE,
        show_dots=len(figures.days) <= 62,
        x_label_rotation=30,
        show_minor_x_labels=False,
        legend_at_bottom=True,
        include_x_axis=True,
        title=_("Per day"),
    )
    chart.x_labels = [day.isoformat() for day in figures.days]
    step = max(1, len(figures.days) // 12)
    chart.x_labels_major = chart.x_labels[::step]
    top = max([1, *figures.impressions, *figures.deflected, *figures.cases_opened])
    chart.y_labels = list(range(0, top + 1, -(-top // 10)))  # whole numbers: these are counts
    chart.add(_("Impressions"), figures.impressions)
    chart.add(_("Answered by an article"), figures.deflected)
    chart.add(_("Cases opened after suggestions"), figures.cases_opened)
    root = chart.render_tree()
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag == "script":
                parent.remove(child)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(root, encoding="unicode")
