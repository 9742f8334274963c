"""Dossier statuses and actions (docs/domain.md §3).

The enum *values* are the storage format: never rename them. "Overdue" is not a
status, it is a timing attribute (see timing.py).
"""
from __future__ import annotations

from enum import StrEnum


class DossierStatus(StrEnum):
    NEW_ONLINE = "new_online"
    INCOMPLETE = "incomplete"  # supplement requested at reception: not yet received, no clock
    RECEIVED = "received"
    REFUSED = "refused"
    PROCESSING = "processing"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    AWAITING_PAYMENT = "awaiting_payment"
    WITHDRAWN = "withdrawn"
    STOPPED = "stopped"
    RESULT_READY = "result_ready"
    RETURNED = "returned"

    @property
    def national_code(self) -> int:
        """The national portal's sync code (docs/domain.md §3)."""
        return NATIONAL_CODES[self]

    @property
    def is_finished(self) -> bool:
        return self in FINISHED

    @property
    def is_paused(self) -> bool:
        return self in PAUSED


# Internal statuses map onto the portal's ten codes; INCOMPLETE is the portal's
# "Yêu cầu bổ sung giấy tờ" (5) raised at the desk before reception.
NATIONAL_CODES: dict[DossierStatus, int] = {
    DossierStatus.NEW_ONLINE: 1,
    DossierStatus.RECEIVED: 2,
    DossierStatus.REFUSED: 3,
    DossierStatus.PROCESSING: 4,
    DossierStatus.AWAITING_SUPPLEMENT: 5,
    DossierStatus.INCOMPLETE: 5,
    DossierStatus.AWAITING_PAYMENT: 6,
    DossierStatus.WITHDRAWN: 7,
    DossierStatus.STOPPED: 8,
    DossierStatus.RESULT_READY: 9,
    DossierStatus.RETURNED: 10,
}

# docs/domain.md §3: finished = refused, stopped, withdrawn, result ready, returned.
FINISHED: frozenset[DossierStatus] = frozenset(
    {
        DossierStatus.REFUSED,
        DossierStatus.STOPPED,
        DossierStatus.WITHDRAWN,
        DossierStatus.RESULT_READY,
        DossierStatus.RETURNED,
    }
)
# Statuses in which the statutory clock runs (received, not finished, not paused).
PAUSED: frozenset[DossierStatus] = frozenset(
    {DossierStatus.AWAITING_SUPPLEMENT, DossierStatus.AWAITING_PAYMENT}
)
RUNNING: frozenset[DossierStatus] = frozenset({DossierStatus.RECEIVED, DossierStatus.PROCESSING})
# Before reception: no code-worthy clock yet.
PRE_RECEPTION: frozenset[DossierStatus] = frozenset({DossierStatus.NEW_ONLINE, DossierStatus.INCOMPLETE})
OPEN: frozenset[DossierStatus] = frozenset(set(DossierStatus) - FINISHED)

# Vietnamese labels (legal terms, docs/domain.md §3); the web layer translates via Babel.
STATUS_LABELS_VI: dict[DossierStatus, str] = {
    DossierStatus.NEW_ONLINE: "Mới đăng ký",
    DossierStatus.INCOMPLETE: "Yêu cầu bổ sung (chưa tiếp nhận)",
    DossierStatus.RECEIVED: "Được tiếp nhận",
    DossierStatus.REFUSED: "Không được tiếp nhận",
    DossierStatus.PROCESSING: "Đang xử lý",
    DossierStatus.AWAITING_SUPPLEMENT: "Yêu cầu bổ sung giấy tờ",
    DossierStatus.AWAITING_PAYMENT: "Yêu cầu thực hiện nghĩa vụ tài chính",
    DossierStatus.WITHDRAWN: "Công dân yêu cầu rút hồ sơ",
    DossierStatus.STOPPED: "Dừng xử lý",
    DossierStatus.RESULT_READY: "Đã xử lý xong",
    DossierStatus.RETURNED: "Đã trả kết quả",
}


class DossierAction(StrEnum):
    SUBMIT_ONLINE = "submit_online"
    RECEIVE = "receive"
    REQUEST_SUPPLEMENT = "request_supplement"
    PROVIDE_SUPPLEMENT = "provide_supplement"
    REFUSE = "refuse"
    TRANSFER = "transfer"
    ASSIGN = "assign"
    REQUEST_PAYMENT = "request_payment"
    CONFIRM_PAYMENT = "confirm_payment"
    HAND_OFF = "hand_off"
    ACKNOWLEDGE = "acknowledge"
    HAND_BACK = "hand_back"
    APOLOGISE = "apologise"
    STOP = "stop"
    COMPLETE = "complete"
    RETURN_RESULT = "return_result"
    WITHDRAW = "withdraw"
    REPLAN = "replan"  # a calendar edit re-plans the due time (recorded, docs/architecture.md §2)
    # A new look-up secret for a reprinted receipt: recorded on the dossier, never a transition.
    REISSUE_SECRET = "reissue_secret"


ACTION_LABELS_VI: dict[DossierAction, str] = {
    DossierAction.SUBMIT_ONLINE: "Nộp trực tuyến",
    DossierAction.RECEIVE: "Tiếp nhận",
    DossierAction.REQUEST_SUPPLEMENT: "Yêu cầu bổ sung",
    DossierAction.PROVIDE_SUPPLEMENT: "Đã bổ sung hồ sơ",
    DossierAction.REFUSE: "Từ chối tiếp nhận",
    DossierAction.TRANSFER: "Chuyển xử lý",
    DossierAction.ASSIGN: "Phân công",
    DossierAction.REQUEST_PAYMENT: "Yêu cầu nghĩa vụ tài chính",
    DossierAction.CONFIRM_PAYMENT: "Đã hoàn thành nghĩa vụ tài chính",
    DossierAction.HAND_OFF: "Chuyển liên thông",
    DossierAction.ACKNOWLEDGE: "Xác nhận nhận liên thông",
    DossierAction.HAND_BACK: "Trả lại liên thông",
    DossierAction.APOLOGISE: "Xin lỗi và hẹn lại",
    DossierAction.STOP: "Dừng xử lý",
    DossierAction.COMPLETE: "Đã xử lý xong",
    DossierAction.RETURN_RESULT: "Trả kết quả",
    DossierAction.WITHDRAW: "Rút hồ sơ",
    DossierAction.REPLAN: "Tính lại hạn",
    DossierAction.REISSUE_SECRET: "Cấp lại mã tra cứu",
}


class Channel(StrEnum):
    """Reception channels with the national codes (docs/domain.md §2)."""

    DIRECT = "direct"  # 1 trực tiếp
    ONLINE = "online"  # 2 trực tuyến
    POSTAL = "postal"  # 3 bưu chính công ích

    @property
    def national_code(self) -> int:
        return {"direct": 1, "online": 2, "postal": 3}[self.value]


class Role(StrEnum):
    CLERK = "clerk"
    OFFICER = "officer"
    HEAD = "head"
    ADMIN = "admin"
