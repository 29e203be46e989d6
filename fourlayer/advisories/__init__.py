"""Installed packages against offline security advisories (layer 3), as OpenSCAP/OVAL and Vuls do.

- `versions`: version order exactly as dpkg and rpm define it (python-debian, univers).
- `formats`: importers of the advisory files a user downloads (Debian Security Tracker JSON, OSV JSON).
- `store`: the local SQLite database the imports go to (`advisories.sqlite` beside the history database).
- `match`: advisories indexed by source package once per scan, and matched against one host's packages (read by
  `fourlayer.resources.packages` from dpkg-query, rpm -qa, os-release and the running kernel).
"""
