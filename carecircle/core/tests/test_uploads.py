"""The one upload check: content decides, never the name or the claimed type."""
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from carecircle.core import uploads


def _image(fmt="PNG", size=(12, 10), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format=fmt, **save)
    return buffer.getvalue()


@pytest.mark.parametrize("content", [
    b"alert(document.cookie)",
    b"<html><script>alert(1)</script></html>",
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b"GIF89a/*<svg onload=alert(1)>*/",
    b"MZ\x90\x00",
    b"",
])
def test_anything_but_an_image_is_refused_as_a_photo(content):
    with pytest.raises(ValidationError):
        uploads.verify(SimpleUploadedFile("x.png", content, content_type="image/png"), kind=uploads.PHOTO)


def test_a_real_image_with_a_script_appended_is_refused():
    with pytest.raises(ValidationError) as refused:
        uploads.verify(_image() + b"<script>alert(1)</script>", kind=uploads.PHOTO)
    assert "脚本" in refused.value.messages[0]


@pytest.mark.parametrize("fmt,content_type,extension", [("PNG", "image/png", ".png"), ("JPEG", "image/jpeg", ".jpg"),
                                                        ("WEBP", "image/webp", ".webp")])
def test_images_are_re_encoded_and_keep_their_proven_type(fmt, content_type, extension):
    original = _image(fmt)
    verified = uploads.verify(SimpleUploadedFile("anything.exe", original, content_type="text/html"),
                              kind=uploads.PHOTO)
    assert verified.content_type == content_type and verified.extension == extension
    assert Image.open(io.BytesIO(verified.content)).size == (12, 10)
    assert verified.generated_name().endswith(extension) and "anything" not in verified.generated_name()


def test_png_text_chunks_and_jpeg_exif_location_are_dropped():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "张三明 13800138000")
    verified = uploads.verify(_image("PNG", pnginfo=info), kind=uploads.PHOTO)
    assert "张三明".encode() not in verified.content and b"13800138000" not in verified.content

    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (31.0, 12.0, 30.0), 3: "E", 4: (121.0, 26.0, 0.0)})
    verified = uploads.verify(_image("JPEG", exif=exif), kind=uploads.PHOTO)
    assert not Image.open(io.BytesIO(verified.content)).getexif()


def test_a_pdf_is_a_document_but_not_a_photo():
    pdf = (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n9\n%%EOF\n")
    assert uploads.verify(pdf, kind=uploads.DOCUMENT).content_type == "application/pdf"
    with pytest.raises(ValidationError):
        uploads.verify(pdf, kind=uploads.PHOTO)
    with pytest.raises(ValidationError):
        uploads.verify(pdf[:40], kind=uploads.DOCUMENT)  # cut short: no trailer
    with pytest.raises(ValidationError):
        uploads.verify(pdf.replace(b"/Catalog", b"/Catalog /Names << /EmbeddedFiles 3 0 R >>"), kind=uploads.DOCUMENT)
    with pytest.raises(ValidationError):
        uploads.verify(pdf.replace(b"/Catalog", b"/Catalog /AA << /O << /S /J#61vaScript >> >>"), kind=uploads.DOCUMENT)


def test_the_server_ceiling_applies_without_a_policy_value(settings):
    settings.CARECIRCLE_MAX_UPLOAD_BYTES = 50
    with pytest.raises(ValidationError) as refused:
        uploads.verify(_image(size=(64, 64)), kind=uploads.PHOTO)
    assert "MB" in refused.value.messages[0]


def test_stored_names_keep_only_extensions_the_check_produced():
    assert uploads.stored_name("report.html").find(".") == -1
    assert uploads.stored_name("x.jpg").endswith(".jpg") and len(uploads.stored_name("x.jpg")) == 36
    assert uploads.extension_for("text/html") == ".bin" and uploads.extension_for("image/png") == ".png"


def _xlsx(parts) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in parts:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


def test_imports_are_recognised_by_content():
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    assert uploads.read_import(buffer.getvalue(), filename="elders.csv")[0] == uploads.XLSX
    assert uploads.read_import("姓名\n赵桂兰\n".encode("gb18030"), filename="elders.csv")[0] == uploads.CSV
    for bad, name in [(_xlsx(["word/document.xml", "[Content_Types].xml"]), "elders.xlsx"),
                      (_xlsx(["[Content_Types].xml", "xl/workbook.xml", "xl/vbaProject.bin"]), "elders.xlsx"),
                      (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "elders.xls"),
                      (b"<html></html>", "payload.html")]:
        with pytest.raises(ValidationError):
            uploads.read_import(bad, filename=name)
    with pytest.raises(ValidationError) as refused:
        uploads.decode_text(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "CSV" in refused.value.messages[0]
