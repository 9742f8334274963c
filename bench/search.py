"""The menu's search box at scale (docs/benchmarks.md, "Search box").

    python bench/search.py --url sqlite:////tmp/bench1m.db        # a database from bench/generate.py
    python bench/search.py --generate 20000                         # generate a fresh SQLite one first

Migrates the database to head first (timed: at 1M this includes the phone backfill and the two new
indexes of migration h8a1), then times ``services.dossiers.queries.search_dossiers`` — the very function the
/search page calls, with its visibility clause — for an admin (everything) and a commune clerk (its
subtree), on: an exact phone, an exact citizen ID, a phone being typed (7 digits), a whole code, a
code prefix (desk and day), a common name prefix ("nguyen van", thousands of matches), an accented
full name and a name that matches nothing. Each query runs ``--repeat`` times after one warm-up run;
median and worst are printed in milliseconds. The machine is shared: say so next to the figures.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != HERE]
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url")
    ap.add_argument("--generate", type=int, default=0,
                    help="generate N dossiers into a temporary SQLite file")
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--no-upgrade", action="store_true",
                    help="do not migrate; add (nullable) any dossiers column the models have "
                         "and the file lacks")
    args = ap.parse_args(argv)
    url = args.url
    if args.generate:
        import generate

        url = f"sqlite:///{tempfile.mkdtemp()}/search.db"
        generate.main(["--url", url, "-n", str(args.generate)])
    if not url:
        ap.error("--url or --generate")

    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from onestop import create_app
    from onestop.extensions import db
    from onestop.models import Agency, Dossier, User
    from onestop.services.dossiers.queries import search_dossiers

    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        t0 = time.perf_counter()
        if args.no_upgrade:
            from sqlalchemy import inspect

            have = {c["name"] for c in inspect(db.engine).get_columns("dossiers")}
            with db.engine.begin() as conn:
                for col in Dossier.__table__.columns:
                    if col.name not in have:
                        conn.exec_driver_sql(f"ALTER TABLE dossiers ADD COLUMN {col.name} "
                                             f"{col.type.compile(db.engine.dialect)}")
        else:
            upgrade()
        migrate_s = time.perf_counter() - t0
        s = db.session
        n = s.scalar(select(func.count(Dossier.id))) or 0
        admin = s.scalar(select(User).where(User.role == "admin")) or User(role="admin", agency_id=0)
        clerk = s.scalar(select(User).join(Agency, Agency.id == User.agency_id)
                         .where(User.role == "clerk",
                                Agency.kind == "commune_service_centre").order_by(User.id))
        assert clerk is not None
        sample = s.scalar(select(Dossier).where(Dossier.receiving_agency_id == clerk.agency_id)
                          .order_by(Dossier.id.desc()).offset(1000).limit(1))
        assert sample is not None
        queries = [
            ("phone, exact", sample.applicant_phone),
            ("phone, +84 form", "+84 " + sample.applicant_phone[1:]),
            ("phone being typed (7 digits)", sample.applicant_phone[:7]),
            ("citizen ID, exact", sample.applicant_id_number),
            ("code, whole", sample.code),
            ("code prefix (desk-day)", sample.code.rsplit("-", 1)[0] + "-"),
            ("name prefix, common ('nguyen van')", "nguyen van"),
            ("full name with accents", sample.applicant_name),
            ("name, no match", "xyzzy khong co"),
        ]
        print(f"database: {url.split('///')[-1] if url.startswith('sqlite') else url.split('@')[-1]}, "
              f"{n:,} dossiers, engine {db.engine.dialect.name}; migrate to head {migrate_s:.1f} s")
        print(f"{'query':38} {'user':6} {'rows':>5} {'median ms':>10} {'worst ms':>9}")
        for label, q in queries:
            for who, u in (("admin", admin), ("clerk", clerk)):
                search_dossiers(s, u, q)
                s.rollback()
                times = []
                rows = 0
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    rows = len(search_dossiers(s, u, q))
                    times.append((time.perf_counter() - t) * 1000)
                    s.rollback()
                print(f"{label:38} {who:6} {rows:>5} {statistics.median(times):>10.1f} {max(times):>9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
