"""What a delivered file really is, whatever its name says: a table (CSV, XLSX, XLS, JSON), or a web page,
PDF, archive or image refused with a named finding."""

import zipfile
from pathlib import Path

from pipelines.findings import finding
from pipelines.parsing.refused import Refused
from pipelines.raw import RawFile

_MAGIC = [  # (first bytes, kind in Bahasa Indonesia, in English)
    (b"%PDF", "dokumen PDF", "a PDF document"),
    (b"\x89PNG", "gambar (PNG)", "an image (PNG)"),
    (b"\xff\xd8\xff", "gambar (JPEG)", "an image (JPEG)"),
    (b"GIF8", "gambar (GIF)", "an image (GIF)"),
    (b"II*\x00", "gambar (TIFF)", "an image (TIFF)"),
    (b"Rar!", "arsip RAR", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "arsip 7z", "a 7z archive"),
    (b"\x1f\x8b", "arsip gzip", "a gzip archive"),
]

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls), also old Word files


def not_a_table(raw: RawFile, kind_id: str, kind_en: str) -> Refused:
    return Refused(finding("not-a-table", raw.name, kind_id=kind_id, kind_en=kind_en))


def _zip_kind(raw: RawFile) -> str:
    """An XLSX or ODS workbook is a zip; its member names say which it is (the directory only is read)."""
    try:
        with zipfile.ZipFile(raw.path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        raise Refused(finding("unreadable-file", raw.name)) from None
    if any(n.startswith("xl/") for n in names) or "content.xml" in names:
        return "excel"
    if any(n.startswith("word/") for n in names):
        raise not_a_table(raw, "dokumen Word", "a Word document")
    raise not_a_table(raw, "arsip ZIP", "a ZIP archive")


def _text_kind(raw: RawFile, head: bytes) -> str:
    """A text file: a web page or XML saved under a table's name is refused; JSON by name or content."""
    text = head.decode("latin-1").lstrip("\ufeffï»¿\x00 \t\r\n").lower()
    if not text and Path(raw.path).stat().st_size <= len(head):
        raise Refused(finding("empty-file", raw.name))
    if "urn:schemas-microsoft-com:office:spreadsheet" in text[:4096]:
        raise not_a_table(raw, "XML Spreadsheet 2003", "an XML Spreadsheet 2003")
    if text.startswith(("<!doctype html", "<html")) or (text.startswith("<") and "<html" in text[:4096]):
        raise not_a_table(raw, "halaman web (HTML)", "a web page (HTML)")
    if text.startswith("<?xml"):
        raise not_a_table(raw, "dokumen XML", "an XML document")
    return "json" if raw.name.lower().endswith(".json") or text.startswith(("{", "[")) else "csv"


def file_kind(raw: RawFile) -> str:
    """`excel`, `json` or `csv`, decided by the content (an Excel file renamed `.csv` is still read as
    Excel); raises Refused for an empty file and for what is no table (PDF, image, archive, web page)."""
    with open(raw.path, "rb") as f:
        head = f.read(4096)
    for magic, kind_id, kind_en in _MAGIC:
        if head.startswith(magic):
            raise not_a_table(raw, kind_id, kind_en)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):  # a zip, or an empty one
        return _zip_kind(raw)
    if head.startswith(_OLE2):
        return "excel"
    return _text_kind(raw, head)
