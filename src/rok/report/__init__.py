"""Reports people read: self-contained HTML pages with inline SVG pictures (work offline)."""
