"""HTML to PDF with WeasyPrint: the one place where the documents of `reports/` are paginated
(accountability report, evidence packs, Plan SEA).
"""

from __future__ import annotations

from pathlib import Path

from common.gc_pause import cyclic_gc_paused


def write_pdf(target: Path, *, base_url: str | Path, string: str | None = None,
              filename: Path | None = None) -> int:
    """Paginate the HTML `string` (or the HTML file `filename`) into `target`, relative links
    resolved against `base_url`; returns the number of pages.

    The cyclic garbage collector is paused meanwhile: WeasyPrint's boxes all live until the PDF
    is written, and the full collections their number triggers find next to nothing to free
    (`common.gc_pause`).
    """
    import weasyprint  # imported late: pango is only needed when a PDF is asked for

    if (string is None) == (filename is None):
        raise ValueError("give the HTML as `string` or as `filename`, not both")
    source = {"string": string} if string is not None else {"filename": str(filename)}
    with cyclic_gc_paused():
        document = weasyprint.HTML(**source, base_url=str(base_url)).render()
        document.write_pdf(str(target))
        return len(document.pages)
