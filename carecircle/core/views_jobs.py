"""A background job's progress page; htmx polls the progress fragment every 2 s until the job ends."""
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.views import generic

from . import selectors
from .models import Job, JobStatus


class JobDetailView(LoginRequiredMixin, generic.DetailView):
    """Shown only to the person who started the job (and superusers), within their scope."""

    model = Job
    template_name = "core/job_detail.html"
    context_object_name = "job"

    def get_object(self, queryset=None):
        job = selectors.job_for(user=self.request.user, pk=self.kwargs["pk"])
        if job is None:
            raise Http404
        return job

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["core/_job_progress.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["finished"] = self.object.status in {JobStatus.DONE, JobStatus.FAILED}
        return context
