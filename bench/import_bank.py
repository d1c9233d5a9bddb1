"""Benchmark: import a 5,000-question file with `flask questions import`.

Makes the file (xlsx and csv), then times the real command into a fresh SQLite
database and a fresh PostgreSQL database (`pufa_import_bench`, created and dropped
here). Usage: .venv/bin/python bench/import_bank.py [N]"""
import os
import random
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from quiz_bank.formats import tabular  # noqa: E402

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_URL = PG_ADMIN.rsplit("/", 1)[0] + "/pufa_import_bench"


def make_questions(n: int) -> list[dict]:
    rng = random.Random(5000)
    laws = ["民法典", "长江保护法", "宪法", "禁毒法", "土地管理法"]
    out = []
    for i in range(n):
        qtype = rng.choice(["single", "multiple", "true_false"])
        q = {"category": laws[i % len(laws)], "type": qtype, "stem": f"基准测试题第{i}题：以下说法哪项正确？",
             "explanation": "基准测试用解析。", "source": f"《{laws[i % len(laws)]}》第{'一二三四五六七八九'[i % 9]}条", "difficulty": 1 + i % 3}
        if qtype == "true_false":
            q.update(options=[], answer=[rng.choice("TF")])
        else:
            q["options"] = [{"key": k, "text": f"选项{k}{i}"} for k in "ABCD"]
            q["answer"] = ["B"] if qtype == "single" else ["A", "C"]
        out.append(q)
    return out


def timed_import(db_url: str, path: str, instance: str) -> float:
    env = {**os.environ, "DATABASE_URL": db_url, "FLASK_APP": "wsgi.py", "SECRET_KEY": "bench", "PUFA_INSTANCE": instance}
    flask = os.path.join(ROOT, ".venv", "bin", "flask")
    subprocess.run([flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run([flask, "questions", "import", path], env=env, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def main(n: int) -> None:
    questions = make_questions(n)
    work = tempfile.mkdtemp(prefix="pufa-import-bench-")
    files = {"xlsx": tabular.write_xlsx([], questions), "csv": tabular.write_csv([], questions)}
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    print(f"{n} questions; times are the whole `flask questions import` command (start-up included)")
    for fmt, data in files.items():
        path = os.path.join(work, f"bank.{fmt}")
        open(path, "wb").write(data)
        sqlite = timed_import(f"sqlite:///{work}/{fmt}.sqlite3", path, work)
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS pufa_import_bench WITH (FORCE)"))
            conn.execute(text("CREATE DATABASE pufa_import_bench"))
        postgres = timed_import(PG_URL, path, work)
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS pufa_import_bench WITH (FORCE)"))
        print(f"{fmt:5} SQLite {sqlite:6.2f} s   PostgreSQL {postgres:6.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
