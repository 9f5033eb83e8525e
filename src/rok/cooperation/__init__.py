"""Cooperation: decisions from the analyses (complementarity, mentoring, partners, agendas)."""
