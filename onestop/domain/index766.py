"""The 766 indicators the tracker predicts besides on-time handling and satisfaction
(docs/integration.md, "The 766 index predicted"): what each measures, its formula, and default
scoring rules. Rules are data: these defaults are seeded into the scoring-rule table and edited there.

ASSUMPTION: the maximum points below are placeholders to be checked against the appendix of Decision
766/QĐ-TTg (the published description gives the thresholds — full marks at ≥ 80 % for 4.2 and 4.3 —
not every maximum); each province's admin corrects them in the scoring-rule table."""
from __future__ import annotations

from decimal import Decimal as _D

from .scoring import ScoringRule

# The national population database's code in DSKetNoiCSDL (indicator 4.5 counts it as identity checked).
POPULATION_DB = "CSDLQGDC"

FORMULAS: dict[str, str] = {
    "sync_rate": "Hồ sơ đã đồng bộ lên Cổng DVCQG / hồ sơ tiếp nhận trong kỳ",
    "online_payment_rate": "Hồ sơ thanh toán trực tuyến (DuocThanhToanTrucTuyen 1 hoặc 2) / hồ sơ của thủ "
                           "tục có phí, "
                           "lệ phí",
    "digitisation_rate": "Hồ sơ có thành phần đã số hóa (và có tệp kết quả nếu đã có kết quả) / hồ sơ tiếp "
                         "nhận",
    "reuse_rate": "Hồ sơ có thành phần tái sử dụng (trạng thái số hóa 2 hoặc 3) / hồ sơ tiếp nhận",
    "national_store_rate": "Hồ sơ có giấy tờ lấy từ kho dữ liệu của công dân trên Cổng DVCQG / hồ sơ tiếp "
                           "nhận",
    "identity_rate": ("Hồ sơ xác thực VNeID, có giấy tờ từ kho quốc gia hoặc tra CSDL dân cư / hồ sơ "
                      "tiếp nhận"),
    "complaint_handled_rate": "Phản ánh, kiến nghị trả lời đúng hạn / phản ánh, kiến nghị đến hạn",
    "on_time_rate": "Hồ sơ đúng hạn (đã xong đúng hạn + đang giải quyết trong hạn) / hồ sơ phải giải quyết "
                    "(mẫu 06)",
    "satisfaction_rate": "100% − % hồ sơ quá hạn − % hồ sơ bị phản ánh hoặc đánh giá không hài lòng",
    "online_dossier_rate": "Hồ sơ nộp trực tuyến / hồ sơ tiếp nhận trong kỳ",
}

EXTRA_RULES_766: tuple[ScoringRule, ...] = (
    ScoringRule(
        criterion="766.1.4", measure="sync_rate", max_points=_D(2), kind="proportional", threshold=_D(1),
                title="Tỷ lệ đồng bộ hồ sơ lên Cổng DVCQG",
                source="QĐ 766/QĐ-TTg, chỉ số 1.4 (điểm tối đa: giả định, cần đối chiếu)"),
    ScoringRule(criterion="766.3.6", measure="online_payment_rate", max_points=_D(2), kind="proportional",
                threshold=_D("0.50"), title="Tỷ lệ thanh toán trực tuyến",
                source="QĐ 766/QĐ-TTg, chỉ số 3.6 (điểm tối đa, ngưỡng: giả định, cần đối chiếu)"),
    ScoringRule(criterion="766.4.2", measure="digitisation_rate", max_points=_D(4), kind="proportional",
                threshold=_D("0.80"), title="Tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC",
                source="QĐ 766/QĐ-TTg, chỉ số 4.2 (đạt tối đa khi ≥ 80%; điểm tối đa: giả định)"),
    ScoringRule(criterion="766.4.3", measure="reuse_rate", max_points=_D(4), kind="proportional",
                threshold=_D("0.80"), title="Tỷ lệ khai thác, sử dụng lại thông tin, dữ liệu số hóa",
                source="QĐ 766/QĐ-TTg, chỉ số 4.3 (đạt tối đa khi ≥ 80%; điểm tối đa: giả định)"),
    ScoringRule(criterion="766.4.4", measure="national_store_rate", max_points=_D(2), kind="proportional",
                threshold=_D("0.50"), title="Tỷ lệ sử dụng giấy tờ từ kho dữ liệu của công dân",
                source="QĐ 766/QĐ-TTg, chỉ số 4.4 (điểm tối đa, ngưỡng: giả định, cần đối chiếu)"),
    ScoringRule(criterion="766.4.5", measure="identity_rate", max_points=_D(2), kind="proportional",
                threshold=_D("0.80"), title="Tỷ lệ hồ sơ xác thực định danh điện tử",
                source="QĐ 766/QĐ-TTg, chỉ số 4.5 (điểm tối đa, ngưỡng: giả định, cần đối chiếu)"),
    ScoringRule(criterion="766.5.2", measure="complaint_handled_rate", max_points=_D(2), kind="proportional",
                threshold=_D(1), title="Xử lý phản ánh, kiến nghị đúng hạn",
                source="QĐ 766/QĐ-TTg, chỉ số 5.2 (điểm tối đa: giả định, cần đối chiếu)"),
)
