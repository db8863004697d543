"""Charts of the accountability report, as SVG (matplotlib), legible in print.

Every value plotted comes from the publication already protected: a withheld figure arrives as
None and is simply not plotted (a gap in a line, no bar), never as its exact value. Labels are
French with decimal commas; output is deterministic (fixed ids, no date) so that an unchanged
quarter renders byte-identical charts.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from reports.formatting import number  # noqa: E402

# Okabe-Ito: distinguishable by colour-blind readers and in greyscale print
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000"]
_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    # Labels stay SVG text (DejaVu Sans): selectable, and WeasyPrint draws a chart of text in a
    # fraction of the time it takes for one whose every glyph is a path.
    "svg.fonttype": "none",
    "svg.hashsalt": "sea-reports",
}
WIDTH_IN = 6.3  # 16 cm: the text width of an A4 page with 2 cm margins


def _fr_number(x: float, _pos: int = 0) -> str:
    return number(x, 0 if float(x).is_integer() else 1)


def _fr_percent(x: float, _pos: int = 0) -> str:
    return number(x * 100, 0) + "\u00a0%"


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return buf.getvalue()


def _axes(height: float = 2.6):
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, height))
    return fig, ax


def line_chart(x_labels: Sequence[str], series: Mapping[str, Sequence[float | None]], *,
               percent: bool = False, y_label: str = "") -> str:
    """Lines over the quarters; None values leave a gap (withheld or not computable)."""
    with plt.rc_context(_RC):
        fig, ax = _axes()
        xs = list(range(len(x_labels)))
        for n, (label, values) in enumerate(series.items()):
            ys = [float("nan") if v is None else v for v in values]
            ax.plot(xs, ys, marker="o", markersize=3.5, linewidth=1.6,
                    color=PALETTE[n % len(PALETTE)], label=label)
        ax.set_xticks(xs, list(x_labels))
        ax.yaxis.set_major_formatter(FuncFormatter(_fr_percent if percent else _fr_number))
        if not percent:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
        ax.set_ylim(bottom=0, top=(1.0 if percent else None))
        if y_label:
            ax.set_ylabel(y_label)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return _svg(fig)


def grouped_bars(categories: Sequence[str], series: Mapping[str, Sequence[float | None]], *,
                 percent: bool = True) -> str:
    """Side-by-side bars per category; a withheld value has no bar and an `s` in its place."""
    with plt.rc_context(_RC):
        fig, ax = _axes(2.8)
        width = 0.8 / max(1, len(series))
        for i, (label, values) in enumerate(series.items()):
            xs = [j - 0.4 + width * (i + 0.5) for j in range(len(values))]
            shown = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
            ax.bar([x for x, _ in shown], [v for _, v in shown], width=width * 0.92,
                   color=PALETTE[i % len(PALETTE)], label=label)
            for x, v in zip(xs, values, strict=True):
                if v is None:
                    ax.text(x, 0.01, "s", ha="center", va="bottom", fontsize=7,
                            color="#555555")
        ax.set_xticks(range(len(categories)), list(categories))
        ax.yaxis.set_major_formatter(FuncFormatter(_fr_percent if percent else _fr_number))
        if percent:
            ax.set_ylim(0, 1.0)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        ax.grid(axis="x", visible=False)
        return _svg(fig)


def survival_chart(curves: Mapping[str, Sequence[tuple[float, float]]]) -> str:
    """Kaplan-Meier curves: share of exits still without a job after d days, per programme."""
    with plt.rc_context(_RC):
        fig, ax = _axes(2.9)
        for n, (label, points) in enumerate(curves.items()):
            if not points:
                continue
            days = [p[0] for p in points]
            surv = [p[1] for p in points]
            ax.step(days, surv, where="post", linewidth=1.6, color=PALETTE[n % len(PALETTE)],
                    label=label)
        ax.set_xlabel("Jours depuis l'entrée en parcours")
        ax.set_ylabel("Part sans emploi")
        ax.yaxis.set_major_formatter(FuncFormatter(_fr_percent))
        ax.xaxis.set_major_formatter(FuncFormatter(_fr_number))
        ax.set_ylim(0, 1.02)
        ax.set_xlim(left=0)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return _svg(fig)
