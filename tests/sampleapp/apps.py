from django.apps import AppConfig


class SampleAppConfig(AppConfig):
    """An app that exists only in the test settings: it proves that an app plugs itself in."""

    name = "tests.sampleapp"
    label = "sampleapp"
    verbose_name = "Sample app"
    default_auto_field = "django.db.models.BigAutoField"
