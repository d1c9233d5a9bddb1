"""What core.observability costs an answer, in instructions (callgrind counts them the
same however busy the machine is): answers sent in-process through the Flask test client,
with callgrind's instrumentation on only around the timed loop.

    export SECRET_KEY=... PUFA_INSTANCE=... DATABASE_URL=sqlite:///...  # as for prepare.py
    python bench/prepare.py $DATABASE_URL 12000 --out pairs.tsv
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=cg.MODE.SKIP \\
        .venv/bin/python bench/observability_cost.py pairs.tsv MODE SKIP [N]
    grep ^totals cg.MODE.SKIP          # divide by N (default 200)

MODE: `without` (init_app made a no-op: no request id, log, metrics or statement
timing), `nolog` (all of it but ACCESS_LOG=0) or `with`. Every run answers 30 warm-up
pairs and N timed ones from line SKIP of the pairs file; give each run its own range,
since a pair can be answered once. Rate limits are off, as in profile_answer.py."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    pairs_file, mode, skip = sys.argv[1], sys.argv[2], int(sys.argv[3])
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    os.environ.setdefault("RATELIMIT_ENABLED", "0")
    import core.observability as observability
    from core import create_app

    if mode == "without":
        observability.init_app = lambda app: None
    app = create_app()
    app.config["ACCESS_LOG"] = mode == "with"
    requests = []
    for line in Path(pairs_file).read_text(encoding="utf-8").splitlines()[skip: skip + 30 + n]:
        path, body, token = line.split("\t")
        requests.append((path, body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}))
    sys.stdout = open(os.devnull, "w")  # the access lines are still written, as to a journal's pipe
    client = app.test_client()

    def send(batch):
        for path, body, headers in batch:
            r = client.post(path, data=body, headers=headers)
            if r.status_code != 200:
                raise SystemExit(f"{path} {body}: {r.status_code} {r.get_data(as_text=True)}")

    send(requests[:30])
    subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True)
    send(requests[30:])
    subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], capture_output=True)


if __name__ == "__main__":
    main()
