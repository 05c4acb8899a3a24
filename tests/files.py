"""In-memory files for upload tests: XLSX workbooks and rewritten XLSX archives."""

import io
import zipfile

from openpyxl import Workbook


def xlsx_bytes(rows) -> bytes:
    """XLSX bytes of one sheet holding `rows`; cells keep their Python type (int, float, None)."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def replace_member(xlsx: bytes, name: str, content: bytes) -> bytes:
    """Copy an XLSX zip, swapping one member's content (to plant a bomb or a broken part)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = content if info.filename == name else src.read(info.filename)
            dst.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
