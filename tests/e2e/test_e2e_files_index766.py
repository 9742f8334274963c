"""Browser journey: the clerk scans two components of a just-received dossier and reuses a third
from the citizen's earlier dossier; the head sees 766 indicators 4.2 and 4.3 move on the index page.
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


def test_clerk_scans_and_reuses_and_the_head_sees_42_and_43_move(people: Any, shot: Any, live_server: Any,
                                                                 tmp_path: Any) -> None:
    from onestop.services.dossiers import files as files_svc
    from tests.factories import receive, user

    live_server.app.extensions["onestop_storage"] = LocalStorage(tmp_path / "files")
    now = datetime.now(UTC)
    with live_server.db() as s:
        earlier = receive(s, now=now, id_number=ID_NUMBER, name="Lò Thị Mai").dossier
        up = files_svc.check_upload(PDF + b"earlier", "to-khai.pdf", max_bytes=10**6)
        key = files_svc.store_upload(live_server.app.extensions["onestop_storage"], up, now)
        row = files_svc.attach(s, earlier, actor=user(s, "t_clerk"), kind="component", component_no=2, key=key,
                               upload=up, meta=files_svc.DocMeta(doc_number="45/KS"), now=now)
        files_svc.set_approval(s, row, actor=user(s, "t_clerk"), state=2, now=now)
        d = receive(s, now=now, id_number=ID_NUMBER, name="Lò Thị Mai").dossier
        code = d.code
    period = now.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m")
    index_url = f"/index766?agency=000.00.31.H25&period={period}&by=desk"

    head_actor = people("t_head")
    head = head_actor.page
    head.goto(index_url)
    shot(head, "9-files-766", "01-index-before")
    d42_before, d43_before = _indicator(head, "766.4.2"), _indicator(head, "766.4.3")
    assert code in head.locator('tr[data-criterion="766.4.2"]').inner_text()  # pulling 4.2 down

    clerk_actor = people("t_clerk")
    clerk = clerk_actor.page
    clerk.goto(f"/dossiers/{code}#files")
    form = clerk.locator("#file-upload")
    for no, (data, name, mime) in ((1, (PDF, "to-khai.pdf", "application/pdf")),
                                   (3, (PNG, "uy-quyen.png", "image/png"))):
        form.get_by_label("Thành phần", exact=True).select_option(str(no))
        form.get_by_label("Tệp (PDF, JPEG, PNG)").set_input_files({"name": name, "mimeType": mime, "buffer": data})
        with clerk.expect_navigation():
            form.get_by_role("button", name="Tải lên").click()
        assert clerk.locator(".alert-success").count() >= 1, clerk.content()[:2000]
    reuse = clerk.locator("#file-reuse")
    reuse.get_by_label("Dùng cho thành phần").select_option("2")
    with clerk.expect_navigation():
        reuse.get_by_role("button", name="Tái sử dụng").click()
    states = {r.get_attribute("data-component"): r.locator("td.state").inner_text()
              for r in clerk.locator("tr[data-component]").all()}
    assert states == {"1": "Số hóa tại đây", "2": "Tái sử dụng thành phần", "3": "Số hóa tại đây"}
    shot(clerk, "9-files-766", "02-dossier-files")

    head.goto(index_url)
    shot(head, "9-files-766", "03-index-after")
    d42_after, d43_after = _indicator(head, "766.4.2"), _indicator(head, "766.4.3")
    assert d42_after == (d42_before[0] + 1, d42_before[1])
    assert d43_after == (d43_before[0] + 1, d43_before[1])
    assert code not in head.locator('tr[data-criterion="766.4.3"]').inner_text()
    assert head.locator("#chart-766").count() == 1
    assert not head_actor.csp_violations() and not clerk_actor.csp_violations()
