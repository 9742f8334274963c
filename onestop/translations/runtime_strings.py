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
