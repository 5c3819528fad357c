from rest_framework.routers import SimpleRouter

from .api import NoteViewSet

router = SimpleRouter()
router.register("sample-notes", NoteViewSet, basename="api-sample-note")

urlpatterns = router.urls
