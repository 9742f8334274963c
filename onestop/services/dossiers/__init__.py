"""A dossier's life: reception, actions, hand-offs, its clock, its files, the staff lists and scans."""
