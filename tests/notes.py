"""What an in-app notification says, for the tests that read it: the sentence is said when the inbox
is read (onestop/web/sentences.py), in the language of a request — Vietnamese unless asked."""
from __future__ import annotations

from flask import current_app

from onestop.models import Notification
from onestop.web.sentences import notification_lines


def said(n: Notification, lang: str = "vi") -> str:
    with current_app.test_request_context(f"/?lang={lang}"):
        return "\n".join(notification_lines(n.kind, n.params, n.message))
