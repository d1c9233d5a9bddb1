"""What a township installs to serve Pufa (nginx site, gunicorn settings, systemd units),
and `scripts/cluster`, which runs the same pieces on one machine."""
