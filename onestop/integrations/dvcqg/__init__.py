"""The national public service portal (Cổng Dịch vụ công quốc gia, DVCQG): push every dossier and
its progress through an outbox, take online submissions in, and a strict local fake
(docs/integration.md)."""
