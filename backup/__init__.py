"""Backups that restore: `flask backup create DIR` and `flask backup restore DIR`, and
`flask backup prune DIR --keep N` to keep the newest few (backup.prune).

A backup is a directory: the database (pg_dump's custom format, or a SQLite copy made
by its online backup API), the uploads, and manifest.json with every file's SHA-256,
the schema revision and every table's row count, which a restore checks before and
after it writes anything."""


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why and what to do, in Chinese."""
