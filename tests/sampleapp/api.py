from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from carecircle.core.api import ScopedModelViewSet
from carecircle.elders.models import Elder

from . import services
from .models import Note


class NoteSerializer(serializers.ModelSerializer):
    elder = serializers.PrimaryKeyRelatedField(queryset=Elder.objects.all())

    class Meta:
        model = Note
        fields = ["id", "elder", "text", "created_at"]
        read_only_fields = ["created_at"]


class NoteViewSet(ScopedModelViewSet):
    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    view_capability = "sampleapp.view"
    change_capability = "sampleapp.change"
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer):
        try:
            serializer.instance = services.note_create(actor=self.request.user, **serializer.validated_data)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied from exc
