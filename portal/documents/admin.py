"""Document templates in the admin site: upload a Word file per type (checked for unknown
fields), download the built-in layout as a starting point, switch back to an older one."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.documents import services
from portal.documents.models import DocumentTemplate
from portal.documents.registry import document_type, type_choices
from portal.documents.writer import TemplateError, builtin_template, check_template

MAX_TEMPLATE_BYTES = 5 * 1024 * 1024


class TemplateForm(forms.ModelForm):
    doc_type = forms.ChoiceField(label=_("文书类型"), choices=type_choices)
    upload = forms.FileField(label=_("Word 模板（.docx）"), required=False)

    class Meta:
        model = DocumentTemplate
        fields = ["doc_type", "name", "note", "active"]

    def clean(self):
        data = super().clean()
        upload = data.get("upload")
        if upload is None and not self.instance.pk:
            raise ValidationError({"upload": _("请上传 .docx 模板文件。")})
        if upload is not None:
            if upload.size > MAX_TEMPLATE_BYTES:
                raise ValidationError({"upload": _("模板文件超过 5 MB，请压缩图片后重新上传。")})
            content = upload.read()
            try:
                check_template(content, document_type(data.get("doc_type", "")).allowed_placeholders())
            except (TemplateError, LookupError) as exc:
                raise ValidationError({"upload": str(exc)}) from None
            data["content"] = content
        return data


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(admin.ModelAdmin):
    form = TemplateForm
    list_display = ["name", "doc_type", "active", "uploaded_by", "uploaded_at", "fields_help"]
    list_filter = ["doc_type", "active"]

    @admin.display(description=_("可用字段"))
    def fields_help(self, obj):
        try:
            allowed = document_type(obj.doc_type).allowed_placeholders()
        except LookupError:
            return "—"
        return "、".join("{{" + name + "}}" for name in allowed)

    def get_urls(self):
        return [
            path("builtin/", self.admin_site.admin_view(self.builtin), name="documents_builtin_template"),
            *super().get_urls(),
        ]

    def builtin(self, request):
        response = HttpResponse(
            builtin_template(), content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        )
        response["Content-Disposition"] = 'attachment; filename="template.docx"'
        return response

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "subtitle": format_html('<a href="{}">{}</a>', "builtin/", _("下载内置版式（含全部通用字段）作为模板起点")),
        }
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        content = form.cleaned_data.get("content")
        if not change:
            saved = services.upload_template(
                actor=request.user, doc_type=obj.doc_type, name=obj.name, content=content, note=obj.note
            )
            obj.pk = saved.pk
            return
        from django.db import transaction

        from portal.audit.services import audit_record

        with transaction.atomic():
            if content is not None:
                obj.content = content
            if obj.active:
                DocumentTemplate.objects.filter(doc_type=obj.doc_type, active=True).exclude(pk=obj.pk).update(
                    active=False
                )
            obj.save()
            audit_record(actor=request.user, action="document.template_change", obj=obj, changes={"active": obj.active})
