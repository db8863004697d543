"""The chronogramme: a Gantt chart of dated bars grouped by axis, with the as-of date marked.

Used for the MEL action plan and the evaluation calendar of the Plan SEA. SVG from matplotlib,
deterministic (no date in the file), French month labels, colours that survive greyscale print;
a finished bar is drawn lighter, a late one is outlined in red.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from reports.charts import PALETTE  # noqa: E402

MONTHS_SHORT_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                   "oct.", "nov.", "déc.")
# Text as SVG text, not glyph paths: see reports/charts.py.
_RC = {"font.family": "DejaVu Sans", "font.size": 8, "svg.fonttype": "none",
       "svg.hashsalt": "sea-plan"}


@dataclass(frozen=True)
class Bar:
    """One bar: a label on the left, a group (colour), a window, and how it stands on R."""

    label: str
    group: str
    start: date
    end: date
    done: bool = False
    late: bool = False
    note: str = ""  # small text at the bar's right end (e.g. the responsible role)


def _month_label(value: float, pos: int = 0) -> str:
    day = mdates.num2date(value)
    label = MONTHS_SHORT_FR[day.month - 1]
    return f"{label}\n{day.year}" if day.month == 1 or pos == 0 else label


def _label(text: str, width: int) -> str:
    """At most two lines of `width` characters: long action names stay readable."""
    lines = textwrap.wrap(text, width)
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), width, placeholder="…")]
    return "\n".join(lines)


def gantt(bars: Sequence[Bar], as_of: date, *, width_in: float = 10.2,
          label_width: int = 44, as_of_label: str = "Date d'arrêté") -> str:
    """An SVG Gantt chart; bars are drawn in the given order (top to bottom)."""
    groups = list(dict.fromkeys(b.group for b in bars))
    colours = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}
    two_lines = any(len(b.label) > label_width for b in bars)
    height = 0.9 + (0.44 if two_lines else 0.34) * len(bars)
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(width_in, height))
        for row, bar in enumerate(bars):
            start = mdates.date2num(bar.start)
            length = max(mdates.date2num(bar.end + timedelta(days=1)) - start, 2)
            ax.barh(row, length, left=start, height=0.62, color=colours[bar.group],
                    alpha=0.45 if bar.done else 0.95,
                    edgecolor="#b03a00" if bar.late else "none", linewidth=1.6 if bar.late else 0)
            if bar.note:
                ax.text(start + length + 3, row, bar.note, va="center", fontsize=6.5,
                        color="#39434d")
        ax.set_yticks(range(len(bars)), [_label(b.label, label_width) for b in bars])
        ax.invert_yaxis()
        first = min(b.start for b in bars).replace(day=1)
        last = max(b.end for b in bars)
        ax.set_xlim(mdates.date2num(first) - 3, mdates.date2num(last) + 75)
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        step = 1 if months <= 20 * width_in / 10 else 3
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=range(1, 13, step)))
        ax.xaxis.set_major_formatter(plt.FuncFormatter(_month_label))
        ax.xaxis.tick_top()
        ax.tick_params(axis="x", labelsize=6.5, length=0)
        ax.grid(axis="x", color="#e1e5ea", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("right", "bottom", "left"):
            ax.spines[side].set_visible(False)
        ax.axvline(mdates.date2num(as_of), color="#b03a00", linewidth=1.2, linestyle="--")
        ax.text(mdates.date2num(as_of), len(bars) - 0.3, f" {as_of_label} ({as_of:%d/%m/%Y})",
                color="#b03a00", fontsize=6.5, va="bottom")
        handles = [Patch(color=colours[g], label=g) for g in groups]
        handles.append(Patch(facecolor="white", edgecolor="#b03a00", linewidth=1.6,
                             label="en retard"))
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02),
                  ncol=min(len(handles), 5), frameon=False, fontsize=7)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
        plt.close(fig)
    return buffer.getvalue()
