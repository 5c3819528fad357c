"""Every file people upload is checked by its content, stored under a generated name and served back with the
type that was verified — never with the name, extension or Content-Type the uploader claimed.

Three kinds of upload exist:

* PHOTO — images only (JPEG, PNG, WebP). The image is decoded with Pillow and re-encoded, which drops anything
  appended to it (a script hidden after the picture) and every metadata block, EXIF location included.
* DOCUMENT — a PHOTO, or a PDF checked by its signature and structure and refused when it carries script,
  launch actions or embedded files.
* IMPORT — a spreadsheet to be read, never stored or served: an XLSX must be a zip with the parts of a
  workbook; a CSV must decode as text.

The size limit is the policy parameter `uploads.max_size_mb` (per kind, per region, dated); the server's
request ceiling `CARECIRCLE_MAX_UPLOAD_BYTES` stays the hard bound when no parameter is in force.
"""
from __future__ import annotations

import hashlib
import io
import re
import uuid
import warnings
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _

PHOTO = "photo"
DOCUMENT = "document"
IMPORT = "import"
KINDS = (PHOTO, DOCUMENT, IMPORT)

IMAGE_TYPES = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
PDF_TYPE = ("application/pdf", ".pdf")
# Types served inline; everything else is always an attachment.
INLINE_TYPES = {content_type for content_type, _extension in IMAGE_TYPES.values()}

# Markup that makes a file readable as a page or a script by a browser that guesses; an image or a PDF
# carrying it is a polyglot built to be sniffed, never a real scan of a document. The long markers are
# looked for everywhere (by chance they will not occur in compressed data); the short ones only where
# browsers sniff, in the first bytes.
_MARKUP = re.compile(rb"<\s*(script|iframe|!doctype|object\b|embed\b)|javascript:", re.IGNORECASE)
_MARKUP_AT_START = re.compile(rb"<\s*(html|svg|body|head)", re.IGNORECASE)
_SNIFFED_BYTES = 1024
# PDF features that run code or carry other files.
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)\b")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# Decompressed XLSX parts larger than this are a zip bomb, not a list of elders.
_MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
_MAX_IMAGE_PIXELS = 50_000_000


@dataclass(frozen=True)
class VerifiedFile:
    """Content that passed the checks, with the type and file extension the content proved."""

    content: bytes
    content_type: str
    extension: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)

    def generated_name(self) -> str:
        """The name it is stored under: random, never derived from what the uploader called it."""
        return stored_name(self.extension)

    def as_file(self):
        from django.core.files.base import ContentFile

        return ContentFile(self.content, name=self.generated_name())


_KNOWN_EXTENSIONS = {extension for _type, extension in IMAGE_TYPES.values()} | {PDF_TYPE[1]}


def stored_name(name: str = "") -> str:
    """A fresh random file name; only an extension this module itself produced is kept."""
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return uuid.uuid4().hex + (extension if extension in _KNOWN_EXTENSIONS else "")


def _read(upload) -> bytes:
    if isinstance(upload, (bytes, bytearray)):
        return bytes(upload)
    if hasattr(upload, "seek"):
        upload.seek(0)
    if hasattr(upload, "chunks"):
        return b"".join(upload.chunks())
    return upload.read()


def _region_of_actor(actor):
    if actor is None:
        return None
    if getattr(actor, "scope_region_id", None):
        return actor.scope_region
    if getattr(actor, "organisation_id", None):
        return actor.organisation.region
    return None


def max_bytes(kind: str, *, region=None) -> int:
    """The size limit in force for this kind of upload in the region, never above the server's ceiling."""
    from .policy import MissingPolicyParameter, policy_value

    ceiling = settings.CARECIRCLE_MAX_UPLOAD_BYTES
    if region is None:
        return ceiling
    try:
        table = policy_value("uploads.max_size_mb", region=region)
    except MissingPolicyParameter:
        return ceiling
    megabytes = table.get(kind, table.get("default"))
    if megabytes is None:
        return ceiling
    return min(int(megabytes) * 1024 * 1024, ceiling)


def _check_size(content: bytes, kind: str, region) -> None:
    limit = max_bytes(kind, region=region)
    if len(content) > limit:
        raise ValidationError(_("文件过大（%(size).1f MB），上限为 %(limit).1f MB")
                              % {"size": len(content) / 1048576, "limit": limit / 1048576}, code="too_large")
    if not content:
        raise ValidationError(_("文件是空的，请重新选择"), code="empty")


def _refuse_markup(content: bytes) -> None:
    if _MARKUP.search(content) or _MARKUP_AT_START.search(content[:_SNIFFED_BYTES]):
        raise ValidationError(_("文件中含有网页或脚本内容，不能上传；请上传拍摄或扫描得到的原始图片"), code="markup")


def _verified(content: bytes, content_type: str, extension: str) -> VerifiedFile:
    return VerifiedFile(content=content, content_type=content_type, extension=extension,
                        sha256=hashlib.sha256(content).hexdigest())


def _reencode_image(content: bytes) -> VerifiedFile | None:
    """The image decoded and written again without metadata, or None when the content is no image we accept."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as probe:
                image_format = probe.format
                if image_format not in IMAGE_TYPES:
                    return None
                if probe.width * probe.height > _MAX_IMAGE_PIXELS:
                    raise ValidationError(_("图片像素过多，请缩小后上传"), code="too_many_pixels")
                probe.verify()
            with Image.open(io.BytesIO(content)) as image:
                image.load()
                # The orientation lives in EXIF, which is dropped: turn the pixels first so the photo stays upright.
                image = ImageOps.exif_transpose(image)
                output = io.BytesIO()
                if image_format == "JPEG":
                    if image.mode not in ("RGB", "L", "CMYK"):
                        image = image.convert("RGB")
                    image.save(output, format="JPEG", quality=90, optimize=True)
                elif image_format == "PNG":
                    if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
                        image = image.convert("RGBA")
                    image.save(output, format="PNG", optimize=True)
                else:
                    image.save(output, format="WEBP", quality=90)
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
            SyntaxError, ValueError, EOFError):
        return None
    content_type, extension = IMAGE_TYPES[image_format]
    return _verified(output.getvalue(), content_type, extension)


def _check_pdf(content: bytes) -> VerifiedFile | None:
    if not re.match(rb"%PDF-[12]\.\d", content[:8]):
        return None
    tail = content[-2048:]
    structured = (b"%%EOF" in tail and (b"startxref" in tail)
                  and re.search(rb"\d+\s+\d+\s+obj\b", content) is not None)
    if not structured:
        raise ValidationError(_("PDF 文件不完整或已损坏，请重新导出后上传"), code="bad_pdf")
    # Names may be written with #xx escapes (/J#61vaScript) to slip past a plain search.
    if _PDF_ACTIVE.search(_PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), content)):
        raise ValidationError(_("PDF 文件含有脚本、自动动作或附件，不能上传；请“打印为 PDF”后重新上传"),
                              code="active_pdf")
    return _verified(content, *PDF_TYPE)


def verify(upload, *, kind: str, actor=None, region=None) -> VerifiedFile:
    """The checked (and for images re-encoded) content of an upload of `kind` (PHOTO or DOCUMENT), or a
    ValidationError that says what is wrong in the reader's language."""
    if kind not in (PHOTO, DOCUMENT):
        raise ValueError(f"verify() stores photos and documents; {kind!r} uploads are read with read_import()")
    if upload is None:
        raise ValidationError(_("请选择要上传的文件"), code="required")
    content = _read(upload)
    _check_size(content, kind, region if region is not None else _region_of_actor(actor))
    _refuse_markup(content)
    verified = _reencode_image(content)
    if verified is None and kind == DOCUMENT:
        verified = _check_pdf(content)
    if verified is None:
        if kind == PHOTO:
            raise ValidationError(_("只能上传 JPEG、PNG 或 WebP 图片；文件内容不是这几种图片"), code="not_image")
        raise ValidationError(_("只能上传 JPEG、PNG、WebP 图片或 PDF 文件；文件内容不是这几种格式"),
                              code="bad_type")
    return verified


# --- imports ---------------------------------------------------------------------------------------------

XLSX = "xlsx"
CSV = "csv"
_XLSX_PARTS = {"[Content_Types].xml", "xl/workbook.xml"}


def _check_xlsx(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            unzipped = sum(m.file_size for m in members)
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ValidationError(_("文件不是有效的 Excel（.xlsx）文件，可能已损坏或实际是其他格式"), code="bad_xlsx")
    if not _XLSX_PARTS <= names:
        raise ValidationError(_("文件不是有效的 Excel（.xlsx）文件，可能已损坏或实际是其他格式"), code="bad_xlsx")
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise ValidationError(_("文件含有宏，不能导入；请另存为不含宏的 .xlsx 后上传"), code="macro")
    if unzipped > _MAX_UNZIPPED_BYTES:
        raise ValidationError(_("Excel 文件解压后过大，请拆分后上传"), code="too_large")


def decode_text(content: bytes, encodings=("utf-8-sig", "gb18030")) -> str:
    """The text of a CSV upload; binary content (a renamed executable, image or archive) is refused."""
    if b"\x00" in content:
        raise ValidationError(_("文件不是文本格式的 CSV（含有二进制内容），请检查文件编码，在表格软件中另存为“CSV UTF-8”后上传"),
                              code="not_text")
    for encoding in encodings:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(ord(c) < 32 and c not in "\t\r\n" for c in text):
            break
        return text
    if len(encodings) == 1 and encodings[0].startswith("utf-8"):
        raise ValidationError(_("文件不是 UTF-8 编码，请在表格软件中另存为“CSV UTF-8”"), code="encoding")
    raise ValidationError(_("无法识别文件编码：请在表格软件中另存为“CSV UTF-8”或 GB18030（简体中文）编码后重新上传"),
                          code="encoding")


def read_import(upload, *, filename: str = "", actor=None, region=None, allowed=(XLSX, CSV)) -> tuple[str, bytes]:
    """(XLSX or CSV, content) of a spreadsheet upload, decided by what the bytes are, not by the name."""
    content = _read(upload)
    _check_size(content, IMPORT, region if region is not None else _region_of_actor(actor))
    lower = (filename or getattr(upload, "name", "") or "").lower()
    if content.startswith(b"PK\x03\x04") or lower.endswith(".xlsx"):
        if XLSX not in allowed:
            raise ValidationError(_("只支持 CSV 文件"), code="bad_type")
        _check_xlsx(content)
        return XLSX, content
    if content.startswith(b"\xd0\xcf\x11\xe0") or lower.endswith(".xls"):
        raise ValidationError(_("只支持 .csv 和 .xlsx 文件（旧版 .xls 请在表格软件中另存为 .xlsx）"), code="bad_type")
    if lower and not lower.endswith((".csv", ".txt")):
        raise ValidationError(_("只支持 .csv 和 .xlsx 文件（旧版 .xls 请在表格软件中另存为 .xlsx）"), code="bad_type")
    if CSV not in allowed:
        raise ValidationError(_("只支持 Excel（.xlsx）文件"), code="bad_type")
    return CSV, content


# --- serving ---------------------------------------------------------------------------------------------

def extension_for(content_type: str) -> str:
    """The extension a download is named with: from the verified type, never from the uploaded name."""
    known = {t: extension for t, extension in [*IMAGE_TYPES.values(), PDF_TYPE]}
    return known.get(content_type, ".bin")


def file_response(fieldfile, *, content_type: str, download_name: str) -> FileResponse:
    """One stored upload as a response: its verified type, inline only for verified images, and headers that
    stop a browser from guessing another type or running anything inside it."""
    verified_type = content_type if content_type in INLINE_TYPES | {PDF_TYPE[0]} else "application/octet-stream"
    inline = verified_type in INLINE_TYPES
    response = FileResponse(fieldfile.open("rb"), content_type=verified_type, as_attachment=not inline,
                            filename=download_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "no-store, private"
    return response
