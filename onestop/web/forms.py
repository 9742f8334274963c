"""Flask-WTF forms of the desk and the dossier page. Forms check shape only
(lengths, formats the browser can't); the services check the rules and raise
ValidationFailed with per-field messages (docs/architecture.md §4). Field names equal the
service's error keys so a message lands next to its field."""
from __future__ import annotations

from typing import Any

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import TextInput

from ..services.errors import ValidationFailed
from .sentences import error_text

CHANNEL_CHOICES = [
    ("direct", _l("Trực tiếp")),
    ("online", _l("Trực tuyến")),
    ("postal", _l("Bưu chính công ích")),
]
RETURN_METHOD_CHOICES = [
    ("direct", _l("Trực tiếp tại Bộ phận Một cửa")),
    ("postal", _l("Qua bưu chính công ích")),
    ("online", _l("Trực tuyến")),
]


class ReceptionForm(FlaskForm):
    """The desk's reception form (Decree 61/2018 art. 18; Decree 118/2025)."""

    procedure = StringField(_l("Thủ tục (mã hoặc tên)"),
                            validators=[DataRequired(_l("Chọn thủ tục hành chính (gõ mã hoặc tên).")),
                                        Length(max=300)])
    applicant_name = StringField(_l("Họ và tên người nộp"),
                                 validators=[DataRequired(_l("Nhập họ và tên người nộp hồ sơ.")),
                                             Length(max=120)])
    applicant_id_number = StringField(
        _l("Số định danh cá nhân (CCCD, 12 số)"),
        validators=[DataRequired(_l("Nhập số định danh cá nhân (CCCD) 12 chữ số.")), Length(max=20)])
    applicant_phone = StringField(_l("Số điện thoại"),
                                  validators=[DataRequired(_l("Nhập số điện thoại để liên hệ.")),
                                              Length(max=20)])
    applicant_email = StringField(_l("E-mail (không bắt buộc)"), validators=[Optional(), Length(max=254)])
    applicant_address = StringField(_l("Địa chỉ"), validators=[Optional(), Length(max=255)])
    channel = SelectField(_l("Kênh nộp"), choices=CHANNEL_CHOICES, default="direct")
    notify_consent = BooleanField(_l("Người nộp đồng ý nhận thông báo về hồ sơ (yêu cầu bổ sung, "
                                     "xin lỗi hẹn lại, có kết quả)"))
    notify_channel = SelectField(_l("Nhận thông báo qua"), choices=[("sms", "SMS"), ("zalo", "Zalo"),
                                                                   ("email", "E-mail")],
                                 default="sms", validate_choice=False)
    documents = SelectMultipleField(_l("Thành phần hồ sơ đã nộp"), choices=[], validate_choice=False)
    missing_items = TextAreaField(_l("Giấy tờ còn thiếu (mỗi dòng một mục)"),
                                  validators=[Optional(), Length(max=4000)])
    reason = TextAreaField(_l("Lý do"), validators=[Optional(), Length(max=2000)])
    note = StringField(_l("Ghi chú"), validators=[Optional(), Length(max=2000)])
    outcome = HiddenField(default="receive")


class ActionForm(FlaskForm):
    """All action-specific fields of POST /dossiers/<code>/actions/<action>;
    which of them an action reads is decided in the view (web/dossiers.py)."""

    version = IntegerField(validators=[InputRequired(_l("Thiếu phiên bản hồ sơ; tải lại trang."))])
    reason = TextAreaField(_l("Lý do"), validators=[Optional(), Length(max=4000)])
    missing_items = TextAreaField(_l("Giấy tờ cần bổ sung (mỗi dòng một mục)"),
                                  validators=[Optional(), Length(max=4000)])
    officer = SelectField(_l("Chuyên viên"), coerce=str, choices=[], validate_choice=False)
    new_due_on = DateField(_l("Ngày hẹn trả mới"), validators=[Optional()], format="%Y-%m-%d")
    to_agency = SelectField(_l("Cơ quan nhận"), coerce=str, choices=[], validate_choice=False)
    result = TextAreaField(_l("Kết quả giải quyết"), validators=[Optional(), Length(max=4000)])
    chain_reason = TextAreaField(_l("Lý do kết thúc khi chưa đủ các bước liên thông"),
                                 validators=[Optional(), Length(max=2000)])
    method = SelectField(_l("Hình thức trả kết quả"), choices=RETURN_METHOD_CHOICES, default="direct")
    receiver = StringField(_l("Người nhận kết quả"), validators=[Optional(), Length(max=120)])
    note = StringField(_l("Ghi chú"), validators=[Optional(), Length(max=2000)])


class VNDateField(DateField):
    """A date typed the Vietnamese way, dd/mm/yyyy, whatever the browser's language: a text input
    (a native date input shows the browser's locale, e.g. mm/dd/yyyy) that the vendored picker
    (static/js/datepicker.js, flatpickr with its Vietnamese locale) decorates. yyyy-mm-dd is still
    accepted (links and bookmarks made before)."""

    widget = TextInput()

    def __init__(self, label: str | None = None, validators: list[Any] | None = None, **kwargs: Any) -> None:
        render_kw = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off",
                     "data-datepicker": "1", "maxlength": "10"}
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(label, validators, format=["%d/%m/%Y", "%Y-%m-%d"], render_kw=render_kw, **kwargs)
        # WTForms 3.3's own parameter, set as its __init__ would (the 3.2 stubs do not know it yet).
        self.invalid_value_message = _l("Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy.")

    def _value(self) -> str:
        # A parsed date is shown back dd/mm/yyyy however it was typed; a wrong one as typed.
        if self.raw_data and (self.data is None or self.errors):
            return " ".join(self.raw_data)
        return self.data.strftime("%d/%m/%Y") if self.data is not None else ""


class RegisterFilterForm(FlaskForm):
    """GET filters of the register (form 07); no CSRF on a read."""

    class Meta:
        csrf = False

    date_from = VNDateField(_l("Từ ngày"), validators=[Optional()])
    date_to = VNDateField(_l("Đến ngày"), validators=[Optional()])

    def validate(self, extra_validators: Any = None) -> bool:
        ok = bool(super().validate(extra_validators))
        if ok and self.date_from.data and self.date_to.data and self.date_from.data > self.date_to.data:
            self.date_to.errors = [str(_l("Khoảng ngày ngược: 'Đến ngày' phải sau hoặc bằng 'Từ ngày'."))]
            return False
        return ok
    procedure = StringField(_l("Mã thủ tục"), validators=[Optional(), Length(max=20)])
    status = SelectField(_l("Trạng thái"), choices=[], validate_choice=False, default="")
    channel = SelectField(_l("Kênh nộp"), choices=[("", _l("Tất cả"))] + CHANNEL_CHOICES, default="")
    name = StringField(_l("Tên người nộp"), validators=[Optional(), Length(max=120)])
    code = StringField(_l("Mã hồ sơ"), validators=[Optional(), Length(max=40)])


class SimplePostForm(FlaskForm):
    """CSRF-only form (mark read, reissue secret)."""


def attach_errors(form: FlaskForm, exc: ValidationFailed) -> None:
    """Show a service's field errors beside the form's fields; one without a field is flashed
    (docs/architecture.md §4: services validate rules, the view shows them beside the field)."""
    for name, refused in exc.errors.items():
        msg = error_text(refused)
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [msg]
        else:
            flash(msg, "danger")
