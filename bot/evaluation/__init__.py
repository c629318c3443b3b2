"""Measuring answer quality: datasets (dataset), per-answer scores (metrics, scoring), the
refusal threshold's calibration (calibration), the run (runner), its summary (summary),
gates on it (gates) and the Markdown/PNG report (report).

Public API: `load_dataset` (dataset); `run`, `write_outputs` (runner); `build_summary`
(summary); `check_gates`, `compare` (gates); `write_report`, `latest_report` (report).
"""
