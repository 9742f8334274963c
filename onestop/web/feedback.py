"""Blueprint 'feedback': staff answer the citizens' PAKN (phản ánh, kiến nghị) routed to their
agency subtree (``/feedback``, officers and heads). Citizens file them from the look-up page
(web/public/page.py); the rules are services/public/feedback.py's (docs/rules.md F5)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp

from ..extensions import db
from ..services.errors import ServiceError, ValidationFailed
from ..services.public import feedback as citizen_svc
from .auth import roles_required, utcnow
from .sentences import error_text

bp = Blueprint("feedback", __name__)


class AnswerForm(FlaskForm):
    feedback_id = HiddenField(validators=[DataRequired(), Regexp(r"^\d{1,12}$")])
    answer = TextAreaField(_l("Trả lời"), validators=[DataRequired(_l("Nhập nội dung trả lời.")),
                                                     Length(max=citizen_svc.MAX_ANSWER)])
    # A complaint's conclusion (required for complaints by the service, docs/rules.md F5).
    upheld = RadioField(_l("Kết luận"), choices=[("yes", _l("Phản ánh đúng (có cơ sở)")),
                                                ("no", _l("Phản ánh không đúng"))],
                        validate_choice=False, validators=[Optional(), AnyOf(("yes", "no"))])


@bp.route("/feedback", methods=["GET", "POST"])
@roles_required("officer", "head")
def feedback_inbox() -> Any:
    now = utcnow()
    form = AnswerForm()
    if request.method == "POST":
        if form.validate_on_submit():
            _answer(form, now)
        else:
            for errors in form.errors.values():
                for e in errors:
                    flash(str(e), "danger")
        return redirect(url_for("feedback.feedback_inbox"), code=303)
    rows = citizen_svc.feedback_inbox(db.session, actor=current_user, now=now)
    return render_template("feedback/inbox.html", rows=rows, form=form, now=now,
                           kinds=citizen_svc.FEEDBACK_KINDS)


def _answer(form: AnswerForm, now: datetime) -> None:
    try:
        fb = citizen_svc.answer_feedback(db.session, int(form.feedback_id.data or 0),
                                         answer=form.answer.data or "", actor=current_user, now=now,
                                         upheld={"yes": True, "no": False}.get(form.upheld.data or ""))
        db.session.commit()
        flash(_("Đã trả lời phản ánh %(code)s; công dân xem được khi tra cứu hồ sơ.", code=fb.code),
              "success")
    except ServiceError as exc:
        db.session.rollback()
        if getattr(exc, "status_code", 400) == 403:
            abort(403)
        for msg in (exc.errors.values() if isinstance(exc, ValidationFailed) else [str(exc)]):
            flash(error_text(msg), "danger")
