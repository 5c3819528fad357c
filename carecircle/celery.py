"""Celery application: file-system broker on a laptop, Redis on a server."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecircle.settings.dev")

app = Celery("carecircle")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
