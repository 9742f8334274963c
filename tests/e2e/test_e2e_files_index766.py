"""Browser journey: the clerk scans two components in the reception form itself (a first try with an
error stores nothing and asks for the scans again) and reuses a third from the citizen's earlier
dossier; the head sees 766 indicators 4.2 and 4.3 move on the index page.
Screenshots: test-artifacts/e2e/9-files-766/."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from onestop.integrations.storage import LocalStorage

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
ID_NUMBER = "001190077777"


def _indicator(page: Any, criterion: str) -> tuple[int, int]:
    text = page.locator(f'tr[data-criterion="{criterion}"] td.measured .text-muted').inner_text()
    num, den = text.replace(".", "").replace(",", "").split("/")
    return int(num), int(den)


def test_clerk_scans_in_the_reception_form_reuses_a_third_and_the_head_sees_42_and_43_move(
        people: Any, shot: Any, live_server: Any, tmp_path: Any) -> None:
    from sqlalchemy import select

    from onestop.models import Dossier
    from onestop.services.dossiers import files as files_svc
    from tests.factories import receive, user

    live_server.app.extensions["onestop_storage"] = LocalStorage(tmp_path / "files")
    now = datetime.now(UTC)
    with live_server.db() as s:
        earlier = receive(s, now=now, id_number=ID_NUMBER, name="Lò Thị Mai").dossier
        up = files_svc.check_upload(PDF + b"earlier", "to-khai.pdf", max_bytes=10**6)
        key = files_svc.store_upload(live_server.app.extensions["onestop_storage"], up, now)
        row = files_svc.attach(s, earlier, actor=user(s, "t_clerk"), kind="component", component_no=2,
                               key=key, upload=up, meta=files_svc.DocMeta(doc_number="45/KS"), now=now)
        files_svc.set_approval(s, row, actor=user(s, "t_clerk"), state=2, now=now)
        earlier_code = earlier.code
    store = live_server.app.extensions["onestop_storage"]
    period = now.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m")
    index_url = f"/index766?agency=000.00.31.H25&period={period}&by=desk"

    head_actor = people("t_head")
    head = head_actor.page
    head.goto(index_url)
    shot(head, "9-files-766", "01-index-before")
    d42_before, d43_before = _indicator(head, "766.4.2"), _indicator(head, "766.4.3")

    # The clerk receives the citizen's new dossier and scans two components IN the reception form.
    clerk_actor = people("t_clerk")
    clerk = clerk_actor.page
    clerk.goto("/reception/new")
    proc = clerk.get_by_label("Thủ tục (mã hoặc tên)")
    proc.fill("1.004884")
    proc.press("Tab")
    clerk.locator('input[name="scan_3"]').wait_for()
    clerk.locator("#applicant_name").fill("Lò Thị Mai")
    clerk.get_by_label("Số định danh cá nhân (CCCD, 12 số)").fill(ID_NUMBER)
    scans = ((1, {"name": "to-khai.pdf", "mimeType": "application/pdf", "buffer": PDF}),
             (3, {"name": "uy-quyen.png", "mimeType": "image/png", "buffer": PNG}))
    for no, payload in scans:
        clerk.locator(f'input[name="scan_{no}"]').set_input_files(payload)
    # A reception with an error stores nothing: the form says the scans were not kept.
    with clerk.expect_navigation():
        clerk.get_by_role("button", name="Tiếp nhận & in giấy hẹn").click()
    assert clerk.locator("#error-summary").is_visible()
    assert "2 bản quét" in clerk.locator("#scans-dropped").inner_text()
    shot(clerk, "9-files-766", "02-reception-error-scans-dropped")
    assert len(list(store.list("files"))) == 1  # the earlier dossier's scan only
    clerk.get_by_label("Số điện thoại").fill("0912345678")
    for no, payload in scans:
        clerk.locator(f'input[name="scan_{no}"]').set_input_files(payload)
    shot(clerk, "9-files-766", "03-reception-with-scans")
    with clerk.expect_navigation():
        clerk.get_by_role("button", name="Tiếp nhận & in giấy hẹn").click()
    assert "Đã lưu 2 bản quét" in clerk.content()
    with live_server.db() as s:
        code = s.scalar(select(Dossier.code).where(Dossier.applicant_id_number == ID_NUMBER)
                        .order_by(Dossier.id.desc()).limit(1))
    assert code and code != earlier_code
    assert len(list(store.list("files"))) == 3

    # ... and reuses the third from the citizen's earlier dossier on the dossier page.
    clerk.goto(f"/dossiers/{code}#files")
    reuse = clerk.locator("#file-reuse")
    reuse.get_by_label("Dùng cho thành phần").select_option("2")
    with clerk.expect_navigation():
        reuse.get_by_role("button", name="Tái sử dụng").click()
    states = {r.get_attribute("data-component"): r.locator("td.state").inner_text()
              for r in clerk.locator("tr[data-component]").all()}
    assert states == {"1": "Số hóa tại đây", "2": "Tái sử dụng thành phần", "3": "Số hóa tại đây"}
    shot(clerk, "9-files-766", "04-dossier-files")

    # The new dossier counts in both denominators and both numerators.
    head.goto(index_url)
    shot(head, "9-files-766", "05-index-after")
    d42_after, d43_after = _indicator(head, "766.4.2"), _indicator(head, "766.4.3")
    assert d42_after == (d42_before[0] + 1, d42_before[1] + 1)
    assert d43_after == (d43_before[0] + 1, d43_before[1] + 1)
    assert code not in head.locator('tr[data-criterion="766.4.2"]').inner_text()
    assert code not in head.locator('tr[data-criterion="766.4.3"]').inner_text()
    assert head.locator("#chart-766").count() == 1
    # The monthly trend is asked for after the index is on screen, and fills the chart's table.
    head.wait_for_selector("#index766-trend[data-loaded='1']")
    assert head.locator("#trend-table tbody tr").count() >= 1
    assert head.locator("#trend-status").count() == 0
    assert not head_actor.csp_violations() and not clerk_actor.csp_violations()
