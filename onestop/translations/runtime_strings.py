"""Vietnamese texts that reach ``gettext`` only at run time (menu labels kept in
data, error-page messages passed as variables). Listing them here lets
``pybabel extract`` (scripts/i18n.sh) put them in the catalogue; nothing imports
this module. tests/test_i18n.py checks that the list still covers the menu."""
from __future__ import annotations


def N_(message: str) -> str:
    """Mark for extraction only (no translation here)."""
    return message


# onestop/web/__init__.py NAV
NAV_LABELS = (
    N_("Tiếp nhận"),
    N_("Sổ theo dõi"),
    N_("Việc của tôi"),
    N_("Hồ sơ đến"),
    N_("Liên thông"),
    N_("Bảng điều khiển"),
    N_("Báo cáo 06"),
    N_("Chấm điểm"),
    N_("Thông báo"),
    N_("Quản trị"),
)

# onestop/web/__init__.py error handlers (messages shown by templates/errors/error.html)
ERROR_MESSAGES = (
    N_("Yêu cầu không hợp lệ."),
    N_("Bạn không có quyền thực hiện thao tác này."),
    N_("Không tìm thấy trang hoặc hồ sơ."),
    N_("Phương thức không được hỗ trợ."),
    N_("Hồ sơ đã thay đổi, vui lòng tải lại."),
    N_("Quá nhiều yêu cầu, vui lòng thử lại sau."),
    N_("Lỗi hệ thống. Vui lòng thử lại."),
)

# onestop/domain/status.py STATUS_LABELS_VI (shown via _(labels[status]))
STATUS_LABELS = (
    N_("Mới đăng ký"), N_("Yêu cầu bổ sung (chưa tiếp nhận)"), N_("Được tiếp nhận"),
    N_("Không được tiếp nhận"), N_("Đang xử lý"), N_("Yêu cầu bổ sung giấy tờ"),
    N_("Yêu cầu thực hiện nghĩa vụ tài chính"), N_("Công dân yêu cầu rút hồ sơ"), N_("Dừng xử lý"),
    N_("Đã xử lý xong"), N_("Đã trả kết quả"),
)

# onestop/domain/status.py ACTION_LABELS_VI
ACTION_LABELS = (
    N_("Nộp trực tuyến"), N_("Tiếp nhận"), N_("Yêu cầu bổ sung"), N_("Đã bổ sung hồ sơ"),
    N_("Từ chối tiếp nhận"), N_("Chuyển xử lý"), N_("Phân công"), N_("Yêu cầu nghĩa vụ tài chính"),
    N_("Đã hoàn thành nghĩa vụ tài chính"), N_("Chuyển liên thông"), N_("Xác nhận nhận liên thông"),
    N_("Trả lại liên thông"), N_("Xin lỗi và hẹn lại"), N_("Dừng xử lý"), N_("Đã xử lý xong"),
    N_("Trả kết quả"), N_("Rút hồ sơ"), N_("Tính lại hạn"),
)

# onestop/services/queries.py TIMING_LABELS_VI
TIMING_LABELS = (
    N_("Trong hạn"), N_("Sắp đến hạn"), N_("Quá hạn"), N_("Tạm dừng"), N_("Trước hạn"), N_("Đúng hạn"),
    N_("Trễ hạn"),
)

# onestop/web/dossiers.py FORM_TITLES and CONFLICT_MESSAGE; templates/print/* signature blocks
PRINTED_FORMS = (
    N_("Giấy tiếp nhận hồ sơ và hẹn trả kết quả"), N_("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
    N_("Phiếu từ chối tiếp nhận giải quyết hồ sơ"), N_("Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
    N_("Thông báo dừng giải quyết hồ sơ"), N_("Phiếu kiểm soát quá trình giải quyết hồ sơ"),
    N_("Hồ sơ đã thay đổi trong lúc bạn thao tác — vui lòng tải lại"),
    N_("Người nộp hồ sơ"), N_("Người tiếp nhận"), N_("Thủ trưởng cơ quan"),
)

# onestop/services/citizen.py FACTORS, SCORE_LABELS, FEEDBACK_KINDS (SIPAS survey)
CITIZEN_LABELS = (
    N_("Tiếp cận dịch vụ"), N_("Thủ tục hành chính"), N_("Công chức giải quyết"), N_("Kết quả giải quyết"),
    N_("Tiếp nhận, xử lý phản ánh, kiến nghị"),
    N_("Rất không hài lòng"), N_("Không hài lòng"), N_("Bình thường"), N_("Hài lòng"), N_("Rất hài lòng"),
    N_("Phản ánh"), N_("Kiến nghị"),
)

# onestop/web/dossiers.py CONFIRM_MESSAGES (irreversible actions: the dialog and the confirmation page)
CONFIRM_MESSAGES = (
    N_("Xác nhận hồ sơ đã xử lý xong? Hồ sơ sẽ chuyển về bộ phận trả kết quả và không thể mở lại."),
    N_("Xác nhận dừng xử lý hồ sơ? Thao tác không thể hoàn tác."),
    N_("Xác nhận công dân rút hồ sơ? Thao tác không thể hoàn tác."),
    N_("Xác nhận đã trả kết quả cho công dân? Thao tác không thể hoàn tác."),
)


# onestop/services/admin_people.py AUDIT_LABELS (the audit log page's action names)
AUDIT_LABELS = (
    N_("Đăng nhập"),
    N_("Đăng nhập sai mật khẩu"),
    N_("Khóa đăng nhập tạm thời"),
    N_("Đổi mật khẩu"),
    N_("Tạo tài khoản"),
    N_("Sửa tài khoản"),
    N_("Mở khóa tài khoản"),
    N_("Khóa tài khoản"),
    N_("Đặt lại mật khẩu"),
    N_("Cấp token API"),
    N_("Thu hồi token API"),
    N_("Tạo cơ quan"),
    N_("Trả lời phản ánh, kiến nghị"),
    N_("Sửa cơ quan"),
    N_("Tạo thủ tục"),
    N_("Sửa thủ tục"),
    N_("Thêm ngày nghỉ/làm bù"),
    N_("Xóa ngày ngoại lệ"),
    N_("Xác nhận lịch nghỉ Tết"),
    N_("Cấp lại mã tra cứu"),
)

# onestop/web/files.py: digitisation and approval states, shown with _(label); the 766 menu entry.
FILE_LABELS = (
    N_("Chưa số hóa"), N_("Số hóa tại đây"), N_("Tái sử dụng thành phần"), N_("Tái sử dụng kết quả"),
    N_("Chờ duyệt"), N_("Đã duyệt"), N_("Từ chối"), N_("Chỉ số 766"),
)

# onestop/services/reporting/exports.py FORM06_GROUPS and FORM06_SUBHEADERS (templates/reports/form06.html
# shows them with _(title)): the wording of the official form.
FORM06_HEADERS = (
    N_("Tổng số hồ sơ tiếp nhận"), N_("Số hồ sơ đã giải quyết"), N_("Số hồ sơ đang giải quyết"),
    N_("Tổng số"), N_("Trong đó: Trực tuyến"), N_("Trực tiếp, bưu chính"), N_("Từ kỳ trước chuyển sang"),
    N_("Trước hạn"), N_("Đúng hạn"), N_("Quá hạn"), N_("Trong hạn"),
)

# onestop/domain/index766.py FORMULAS (templates/scores/index766.html says them with say_label).
INDEX766_FORMULAS = (
    N_("Hồ sơ đã đồng bộ lên Cổng DVCQG / hồ sơ tiếp nhận trong kỳ"),
    N_("Hồ sơ thanh toán trực tuyến (DuocThanhToanTrucTuyen 1 hoặc 2) / hồ sơ của thủ tục có phí, lệ phí"),
    N_("Hồ sơ có thành phần đã số hóa (và có tệp kết quả nếu đã có kết quả) / hồ sơ tiếp nhận"),
    N_("Hồ sơ có thành phần tái sử dụng (trạng thái số hóa 2 hoặc 3) / hồ sơ tiếp nhận"),
    N_("Hồ sơ có giấy tờ lấy từ kho dữ liệu của công dân trên Cổng DVCQG / hồ sơ tiếp nhận"),
    N_("Hồ sơ xác thực VNeID, có giấy tờ từ kho quốc gia hoặc tra CSDL dân cư / hồ sơ tiếp nhận"),
    N_("Phản ánh, kiến nghị trả lời đúng hạn / phản ánh, kiến nghị đến hạn"),
    N_("Hồ sơ đúng hạn (đã xong đúng hạn + đang giải quyết trong hạn) / hồ sơ phải giải quyết (mẫu 06)"),
    N_("100% − % hồ sơ quá hạn − % hồ sơ bị phản ánh hoặc đánh giá không hài lòng"),
    N_("Hồ sơ nộp trực tuyến / hồ sơ tiếp nhận trong kỳ"),
)

# onestop/services/reporting/scores.py MEASURES (templates/scores/rules.html says them with say_label).
SCORE_MEASURES = (
    N_("Tỷ lệ hồ sơ giải quyết đúng hạn"),
    N_("Tỷ lệ hồ sơ nộp trực tuyến"),
    N_("Mức độ hài lòng (100% − % quá hạn − % phản ánh/không hài lòng)"),
    N_("Tỷ lệ hồ sơ trễ hạn có văn bản xin lỗi"),
    N_("Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến toàn trình"),
    N_("Tỷ lệ phản ánh, kiến nghị trả lời đúng hạn"),
    N_("Tỷ lệ hồ sơ đã đồng bộ lên Cổng DVCQG"),
    N_("Tỷ lệ hồ sơ thanh toán trực tuyến (thủ tục có phí, lệ phí)"),
    N_("Tỷ lệ hồ sơ có thành phần và kết quả số hóa"),
    N_("Tỷ lệ hồ sơ tái sử dụng giấy tờ đã số hóa"),
    N_("Tỷ lệ hồ sơ dùng giấy tờ từ kho dữ liệu công dân (DVCQG)"),
    N_("Tỷ lệ hồ sơ xác thực định danh (VNeID, kho quốc gia, CSDL dân cư)"),
)
