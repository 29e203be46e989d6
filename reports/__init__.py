"""Report renderers: JSON (versioned), HTML (self-contained, auto-escaped)."""
