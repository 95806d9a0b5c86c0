"""Shared by every side but the sandbox, and learner-safe (a student's release copies it whole):
the exercise table (``meta``), translations (``i18n``, ``locale/zh.toml``), the results model
(``results``), process helpers (``proc``) and the one TOML reader (``toml``)."""
