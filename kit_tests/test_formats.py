"""Output formats (issue 18, items 2 and 4): the class gradebook as Canvas and Moodle import
it, and one grade as Exercism's and PrairieLearn's results.json. Every file is built from
Reports made here (no grading: fast), and checked against the format's documented example
and rules: kit/teach/lms.py and kit/engine/report.py cite the pages.

The Reports' messages are deliberately misleading ("passed", "not graded", in Chinese too):
every verdict below comes from Status and Reason.
"""
import csv
import json
import re

import pytest

from kit.core import meta
from kit.core.results import Reason, Report, Status, for_check
from kit.engine import report
from kit.teach import gradebook, lms

TWO = ["lock_balance", "lock_ordering"]
INFO = dict(seed=7, python="3.11.9", start_method="fork", cpus=2, cpus_available=2, seconds=1.5,
            submission="sub", grader_errors=[])


def _exercises():
    return meta.select(TWO)


def _report(overrides=None, exercises=None):
    """Every check of ``exercises`` passed, but for ``overrides`` ({check key: Result})."""
    exercises = exercises or _exercises()
    overrides = overrides or {}
    results = [overrides.get(c.key) or for_check(c, Status.PASSED, message="not graded: (a misleading message)")
               for e in exercises for c in e.checks]
    return Report.build(results, exercises, dict(INFO))


def _check(i, exercise="lock_balance"):
    return meta.get(exercise).checks[i]


def _state(exercises=None):
    exercises = exercises or _exercises()
    return {"rubric": gradebook.rubric(exercises), "seed": 7, "rubric_hash": gradebook.rubric_hash(exercises),
            "kit_version": "test", "exercises": [e.name for e in exercises]}


def _class():
    """Four students: full marks; a failed check (hang, message in Chinese); an inconclusive
    check (out of the score and the maximum); every module not graded."""
    hang, slow = _check(2), _check(0, "lock_ordering")
    return [
        gradebook.Record("Doe, Jane", "Doe_Jane", "ok", _report()),
        gradebook.Record('Sam "Q" Lee', "Sam_Q_Lee", "ok", _report({
            hang.key: for_check(hang, Status.FAILED, Reason.HANG, "通过了 (passed)")})),
        gradebook.Record("=ana", "ana", "ok", _report({
            slow.key: for_check(slow, Status.INCONCLUSIVE, Reason.MACHINE, "failed? no: 1 CPU")})),
        gradebook.Record("zed", "zed", "missing lock_balance.py", Report.build(
            [for_check(c, Status.FAILED, Reason.NOT_GRADED, "not graded: missing") for e in _exercises()
             for c in e.checks], _exercises(), dict(INFO))),
    ]


ROSTER = '''kit_name,Student,ID,SIS User ID,SIS Login ID,Section,Email address
"Doe, Jane","Doe, Jane",4321,S001,jdoe,Sec 1,jane@example.edu
"Sam ""Q"" Lee","Lee, Sam",4322,S002,slee,Sec 1,sam@example.edu
=ana,"Ng, Ana",4323,S003,ang,Sec 2,
ghost,"Ghost, Gus",4399,S099,gghost,Sec 2,gus@example.edu
'''


def _write(tmp_path, formats, roster=True, assignment=None, points=None, records=None):
    out = tmp_path / "out"
    warnings = []
    opts = {"formats": formats, "roster": None, "assignment": assignment, "points": points}
    if roster:
        (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
        opts["roster"] = str(tmp_path / "roster.csv")
    gradebook.write_all(out, records or _class(), _state(), opts, warn=warnings.append)
    return out, warnings


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


# -- Canvas ------------------------------------------------------------------------------

CANVAS_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z")   # Canvas's Assignment.title_and_id (Ruby's \z)


def test_canvas_csv_is_the_gradebook_import_canvas_documents(tmp_path):
    out, warnings = _write(tmp_path, ["canvas"], assignment="HW3 concurrency (12345)")
    text = (out / "canvas.csv").read_text(encoding="utf-8")
    # The exporter's header (Section last of the student columns), one "Title (ID)" column, the
    # exporter's "    Points Possible" row, then one row per student; quoting as CSV does it.
    assert text.splitlines() == [
        "Student,ID,SIS User ID,SIS Login ID,Section,HW3 concurrency (12345)",
        "    Points Possible,,,,,20",
        '"Doe, Jane",4321,S001,jdoe,Sec 1,20',
        '"Lee, Sam",4322,S002,slee,Sec 1,17',
        '"Ng, Ana",4323,S003,ang,Sec 2,20',         # 18/18 counted: full marks, out of 20
        "zed,,,,,0",                                # not in the roster: the kit's name only
    ]
    rows = _rows(out / "canvas.csv")
    head = rows[0]
    # What Canvas's importer asks of the header: "Student" then "ID", more than 3 columns,
    # Section the last student column; the assignment title carries the id it matches.
    assert "Student" in head[0] and "ID" in head[1] and len(head) > 3
    assert head[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    m = CANVAS_ID.match(head[5])
    assert m and m.group(1) == "HW3 concurrency" and m.group(2) == "12345"
    assert "Points Possible" in rows[1][0] and rows[1][5] == "20"
    assert all(len(r) == len(head) for r in rows)
    # Values: numbers with at most 2 decimals, or empty (no score).
    assert all(re.fullmatch(r"\d+(\.\d{1,2})?", r[5]) for r in rows[2:])
    assert any("zed" in w and "not in the roster" in w for w in warnings), warnings
    assert any("ghost" in w and "no graded submission" in w for w in warnings), warnings
    assert not any("assignment id" in w for w in warnings), warnings


def test_canvas_without_a_roster_writes_what_it_can_and_says_so(tmp_path):
    out, warnings = _write(tmp_path, ["canvas"], roster=False)
    rows = _rows(out / "canvas.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", lms.DEFAULT_ASSIGNMENT]
    # The kit's names, as given (a comma and quotes survive CSV), with the formula guard.
    assert [r[0] for r in rows[2:]] == ["Doe, Jane", 'Sam "Q" Lee', "'=ana", "zed"]
    assert all(r[1:5] == ["", "", "", ""] for r in rows[2:])
    assert any("no --roster" in w and "exact name" in w for w in warnings), warnings
    assert any("no Canvas assignment id" in w for w in warnings), warnings


def test_points_are_the_share_counted_times_the_maximum(tmp_path):
    ex = [meta.get("lock_balance")]
    c0, c1, c2 = ex[0].checks[:3]
    # 10 points; 3 inconclusive (c2): 7 counted, 5 earned (c0 failed: 2 points).
    rep = _report({c0.key: for_check(c0, Status.FAILED), c2.key: for_check(c2, Status.INCONCLUSIVE, Reason.MACHINE)},
                  exercises=ex)
    assert (rep.score, rep.max) == (5, 7)
    assert lms.grade(rep, 10) == "7.14"          # 5/7 of 10, 2 decimals
    assert lms.grade(rep, 100) == "71.43"
    nothing = Report.build([for_check(c, Status.INCONCLUSIVE, Reason.MACHINE) for c in ex[0].checks], ex, dict(INFO))
    assert lms.grade(nothing, 10) == ""          # nothing counted: no grade, not 0
    assert [lms.points_text(x) for x in (20, 8.5, 87.2666, 0.004, 1e6)] == ["20", "8.5", "87.27", "0", "1000000"]


# -- Moodle ------------------------------------------------------------------------------

def test_moodle_csv_is_the_csv_grade_import_moodle_documents(tmp_path):
    out, warnings = _write(tmp_path, ["moodle"], assignment="HW3")
    rows = _rows(out / "moodle.csv")
    # Moodle's export (and its import test's sample file) heads the identifier "Email address",
    # a grade item by its name, its feedback "Feedback: <name>"; every row as long as the header.
    assert rows == [
        ["Email address", "HW3", "Feedback: HW3"],
        ["jane@example.edu", "100", "lock_balance 10/10; lock_ordering 10/10"],
        ["sam@example.edu", "85", "lock_balance 7/10; lock_ordering 10/10"],
    ]
    # =ana has no email in the roster, zed is not in it: left out (Moodle stops the whole
    # import at a user it cannot find), and named.
    assert any("2 students have no email" in w and "=ana" in w and "zed" in w for w in warnings), warnings
    # Grades out of 100 (Moodle's default limit), never above.
    assert all(0 <= float(r[1]) <= 100 for r in rows[1:])


def test_moodle_identifier_is_the_first_the_roster_has(tmp_path):
    (tmp_path / "r.csv").write_text("\ufeffKit Name,ID_Number,Username\n\"Doe, Jane\",A-17,\nzed,Z-9,zz\n,X-1,x\n",
                                    encoding="utf-8")   # a BOM, headers in any case and spacing
    roster = lms.read_roster(tmp_path / "r.csv")
    assert roster == {"Doe, Jane": {"idnumber": "A-17"}, "zed": {"idnumber": "Z-9", "username": "zz"}}
    # username comes before idnumber when the roster has both: a student without one is left out.
    assert lms.moodle_rows(_class(), roster, "HW3", 100, lambda m: None)[0][0] == "Username"
    roster = {k: {"idnumber": v["idnumber"]} for k, v in roster.items()}
    warnings = []
    rows = lms.moodle_rows(_class(), roster, "HW3", 100, warnings.append)
    assert rows[0] == ["ID number", "HW3", "Feedback: HW3"]
    assert [r[:2] for r in rows[1:]] == [["A-17", "100"], ["Z-9", "0"]]
    assert any("no idnumber" in w for w in warnings)


def test_moodle_without_a_roster_and_above_100_warn(tmp_path):
    out, warnings = _write(tmp_path, ["moodle"], roster=False, points=20)
    rows = _rows(out / "moodle.csv")
    assert rows[0][0] == "Student" and [r[0] for r in rows[1:]] == ["Doe, Jane", 'Sam "Q" Lee', "'=ana", "zed"]
    assert [r[1] for r in rows[1:]] == ["20", "17", "20", "0"]
    assert any("no --roster" in w and "username" in w for w in warnings), warnings
    assert not any("above 100" in w for w in warnings)
    _, warnings = _write(tmp_path, ["moodle"], roster=False, points=110)
    assert any("above 100" in w for w in warnings), warnings


def test_roster_problems_are_refused_with_a_message(tmp_path):
    (tmp_path / "r.csv").write_text("name,email\nana,a@x\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="no kit_name column"):
        lms.read_roster(tmp_path / "r.csv")
    (tmp_path / "r.csv").write_text("kit_name,email\nana,a@x\nana,b@x\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="appears twice"):
        lms.read_roster(tmp_path / "r.csv")
    (tmp_path / "r.csv").write_text("kit_name,SIS Login ID\nana,ang\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="no email, username or idnumber"):
        lms.moodle_rows(_class(), lms.read_roster(tmp_path / "r.csv"), "HW3", 100, print)


def test_gradebook_csv_is_the_same_with_or_without_the_lms_files(tmp_path):
    plain = tmp_path / "plain"
    gradebook.write_all(plain, _class(), _state())
    out, _ = _write(tmp_path, ["csv", "canvas", "moodle"])
    assert (out / "gradebook.csv").read_bytes() == (plain / "gradebook.csv").read_bytes()
    assert sorted(p.name for p in plain.iterdir()) == ["class.html", "class.md", "gradebook.csv"]
    assert (out / "canvas.csv").is_file() and (out / "moodle.csv").is_file()


def test_gradebook_command_writes_the_lms_files_of_batch_outputs(tmp_path, capsys):
    # A batch output as `batch` leaves it (state + report.json per student), merged by the command.
    d = tmp_path / "hw3"
    state = dict(_state(), shard="", students={}, order=[])
    for rec in _class():
        (d / rec.slug).mkdir(parents=True)
        rec.report.info["status"] = rec.status
        report.write_all(rec.report, d / rec.slug)
        state["order"].append(rec.slug)
        state["students"][rec.slug] = {"name": rec.student, "done": True, "status": rec.status}
    (d / gradebook.STATE).write_text(json.dumps(state))
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    out = tmp_path / "merged"
    assert gradebook.main([str(d), "--out", str(out), "--format", "canvas", "moodle", "--roster",
                           str(tmp_path / "roster.csv"), "--assignment", "HW3 (12345)"]) == 0
    said = capsys.readouterr()
    assert f"{out}/canvas.csv" in said.out and "not in the roster" in said.err
    assert _rows(out / "canvas.csv")[0][5] == "HW3 (12345)"
    assert [r[0] for r in _rows(out / "moodle.csv")[1:]] == ["jane@example.edu", "sam@example.edu"]
    # The default is today's gradebook.csv alone; a roster without an LMS format is refused.
    assert gradebook.main([str(d), "--out", str(tmp_path / "plain")]) == 0
    assert not (tmp_path / "plain" / "canvas.csv").exists()
    with pytest.raises(SystemExit, match="--format canvas"):
        gradebook.main([str(d), "--out", str(tmp_path / "x"), "--roster", str(tmp_path / "roster.csv")])


@pytest.mark.once
def test_batch_writes_and_remembers_the_lms_files(tmp_path, run_kit):
    # Submissions the intake refuses (empty, no module) are not graded at all: a batch in seconds.
    subs = tmp_path / "class"
    (subs / "ana").mkdir(parents=True)
    (subs / "ben").mkdir()
    (subs / "ben" / "notes.txt").write_text("x\n")
    (tmp_path / "roster.csv").write_text("kit_name,ID,SIS Login ID,email\nana,11,ana1,ana@example.edu\n")
    out = tmp_path / "out"
    common = ["batch", subs, "--out", out, "--only", "lock_balance", "--seed", 3]
    p = run_kit(*common, "--format", "canvas", "moodle", "--roster", tmp_path / "roster.csv", "--assignment", "HW (9)")
    assert p.returncode == 0, p.stdout + p.stderr
    assert _rows(out / "canvas.csv") == [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "HW (9)"],
                                         ["    Points Possible", "", "", "", "", "10"],
                                         ["ana", "11", "", "ana1", "", "0"], ["ben", "", "", "", "", "0"]]
    assert _rows(out / "moodle.csv") == [["Email address", "HW", "Feedback: HW"],
                                         ["ana@example.edu", "0", "lock_balance 0/10"]]
    assert "ben" in p.stdout and "not in the roster" in p.stdout and f"{out}/canvas.csv" in p.stdout
    # A regrade without the options rewrites them with gradebook.csv (the state remembers them) ...
    (out / "canvas.csv").unlink()
    p = run_kit(*common, "--regrade", "ana")
    assert p.returncode == 0, p.stdout + p.stderr
    assert _rows(out / "canvas.csv")[2] == ["ana", "11", "", "ana1", "", "0"]
    # ... until --format csv: then they are no longer written, and a file left there is named stale.
    p = run_kit(*common, "--regrade", "ana", "--format", "csv")
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads((out / gradebook.STATE).read_text())["lms"]["formats"] == ["csv"]
    assert "canvas.csv was not rewritten" in p.stdout


# -- Exercism ----------------------------------------------------------------------------

EXERCISM_TOP = {"version", "status", "message", "tests"}
EXERCISM_TEST = {"name", "status", "message", "output", "test_code", "task_id"}
STATUSES = {"pass", "fail", "error"}


def validate_exercism(res: dict) -> None:
    """The test-runner interface, version 3 (exercism/docs building/tooling/test-runners/interface.md)."""
    assert set(res) <= EXERCISM_TOP and {"version", "status", "tests"} <= set(res)
    assert res["version"] == 3 and res["status"] in STATUSES
    if res["status"] == "error":
        assert isinstance(res["message"], str) and res["message"]
    else:
        assert res.get("message") is None
    assert isinstance(res["tests"], list) and res["tests"]
    for t in res["tests"]:
        assert set(t) <= EXERCISM_TEST and {"name", "status"} <= set(t), t
        assert isinstance(t["name"], str) and t["status"] in STATUSES
        assert t.get("message") is None or isinstance(t["message"], str)
        assert isinstance(t.get("test_code", ""), str)
        assert len(t.get("output") or "") <= 500
        assert isinstance(t.get("task_id", 1), int) and t.get("task_id", 1) >= 1
    statuses = {t["status"] for t in res["tests"]}
    if res["status"] == "pass":
        assert statuses == {"pass"}
    if res["status"] == "fail":
        assert statuses & {"fail", "error"}


def test_exercism_results_follow_version_3():
    full, failed, inconclusive, not_graded = (r.report for r in _class())
    for rep in (full, failed, inconclusive, not_graded):
        validate_exercism(report.exercism(rep))
    res = report.exercism(failed)
    assert res["status"] == "fail" and res["message"] is None
    # One test per check, in rubric order; task ids are the exercises' positions, 1-based.
    assert [t["name"] for t in res["tests"]] == [f"{c.exercise}: {c.id}" for e in _exercises() for c in e.checks]
    assert [t["task_id"] for t in res["tests"]] == [i for i, e in enumerate(_exercises(), 1) for _ in e.checks]
    by_name = {t["name"]: t for t in res["tests"]}
    hang = by_name["lock_balance: " + _check(2).id]
    assert hang["status"] == "fail" and hang["message"] == "通过了 (passed)"
    assert hang["test_code"] == _check(2).summary
    assert all(t["message"] is None for t in res["tests"] if t is not hang)
    assert not any("output" in t for t in res["tests"])      # the grader does not capture learner prints
    # An inconclusive check is not held against the learner: pass, with a message saying why.
    res = report.exercism(inconclusive)
    assert res["status"] == "pass"
    slow = {t["name"]: t for t in res["tests"]}["lock_ordering: " + _check(0, "lock_ordering").id]
    assert slow["status"] == "pass" and "left out of the score" in slow["message"]
    assert report.exercism(full)["status"] == "pass"


def test_exercism_error_when_no_check_ran():
    res = report.exercism(_class()[3].report)
    assert res["status"] == "error" and res["message"] == "not graded: missing"
    assert {t["status"] for t in res["tests"]} == {"error"}
    # Every check errored (the grader failed): error too; some ran: fail.
    ex = _exercises()
    grader = Report.build([for_check(c, Status.ERROR, Reason.GRADER) for e in ex for c in e.checks], ex, dict(INFO))
    res = report.exercism(grader)
    validate_exercism(res)
    assert res["status"] == "error" and res["message"]
    one = _check(1)
    res = report.exercism(_report({one.key: for_check(one, Status.ERROR, Reason.GRADER, "boom")}))
    assert res["status"] == "fail" and {t["name"]: t for t in res["tests"]}["lock_balance: " + one.id]["status"] == "error"
    # Nothing but inconclusive checks: nothing was shown, so not a pass.
    nothing = Report.build([for_check(c, Status.INCONCLUSIVE, Reason.MACHINE) for e in ex for c in e.checks], ex,
                           dict(INFO))
    res = report.exercism(nothing)
    validate_exercism(res)
    assert res["status"] == "error" and {t["status"] for t in res["tests"]} == {"error"}


# -- PrairieLearn ------------------------------------------------------------------------

def validate_prairielearn(res: dict) -> None:
    """docs/externalGrading.md, "Grading results": score in [0, 1] (mandatory when gradable),
    gradable a bool, format_errors a string or strings, tests as <pl-external-grader-results>
    renders them; the file under 1 MB."""
    assert isinstance(res.get("gradable", True), bool)
    if res.get("gradable", True):
        assert isinstance(res["score"], (int, float)) and 0.0 <= res["score"] <= 1.0
    fe = res.get("format_errors", [])
    assert isinstance(fe, str) or (isinstance(fe, list) and all(isinstance(x, str) for x in fe))
    for key in ("message", "output"):
        assert isinstance(res.get(key, ""), str)
    for t in res.get("tests", []):
        assert set(t) <= {"name", "description", "points", "max_points", "message", "output", "images"}, t
        assert isinstance(t["name"], str)
        assert isinstance(t["points"], (int, float)) and isinstance(t["max_points"], (int, float))
        assert 0 <= t["points"] <= t["max_points"] or t["points"] == 0
        for key in ("description", "message", "output"):
            assert isinstance(t.get(key, ""), str)
    assert len(json.dumps(res).encode()) < 2 ** 20


def test_prairielearn_results_follow_the_external_grader_format():
    full, failed, inconclusive, not_graded = (r.report for r in _class())
    for rep in (full, failed, inconclusive, not_graded):
        validate_prairielearn(report.prairielearn(rep))
    assert report.prairielearn(full)["score"] == 1.0
    res = report.prairielearn(failed)
    assert res["gradable"] is True and res["score"] == round(17 / 20, 6)
    assert sum(t["points"] for t in res["tests"]) == 17 and sum(t["max_points"] for t in res["tests"]) == 20
    res = report.prairielearn(inconclusive)
    assert res["score"] == 1.0                                     # 18 of the 18 counted
    slow = {t["name"]: t for t in res["tests"]}["lock_ordering: " + _check(0, "lock_ordering").id]
    assert slow["points"] == 0 and slow["max_points"] == 0 and "left out of the score" in slow["message"]
    # Nothing could be given to the grader: not gradable (no attempt charged), the reason as a format error.
    res = report.prairielearn(not_graded)
    assert res["gradable"] is False and res["format_errors"] == ["not graded: missing"]


def test_the_platform_files_are_written_by_write_all_when_asked(tmp_path):
    rep = _class()[1].report
    report.write_all(rep, tmp_path / "plain")
    assert sorted(p.name for p in (tmp_path / "plain").iterdir()) == ["junit.xml", "report.json", "results.json",
                                                                      "summary.md"]
    report.write_all(rep, tmp_path / "all", formats=report.EXTRA)
    assert json.loads((tmp_path / "all" / "exercism" / "results.json").read_text()) == report.exercism(rep)
    assert json.loads((tmp_path / "all" / "prairielearn" / "results.json").read_text()) == report.prairielearn(rep)
    for name in ("results.json", "junit.xml", "summary.md", "report.json"):
        assert (tmp_path / "all" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes(), name
    with pytest.raises(ValueError):
        report.write_all(rep, tmp_path / "bad", formats=["canvas"])
    assert set(report.EXTRA) == {"exercism", "prairielearn"}
    # The grade command offers them.
    from kit.engine import grade
    args = grade.parser().parse_args(["x", "--format", "exercism", "prairielearn"])
    assert args.format == ["exercism", "prairielearn"]


def test_zh_messages_change_no_verdict(monkeypatch):
    monkeypatch.setenv("KIT_LANG", "zh")
    _, failed, inconclusive, _ = (r.report for r in _class())
    assert report.exercism(failed)["status"] == "fail"
    assert report.prairielearn(failed)["score"] == round(17 / 20, 6)
    slow = {t["name"]: t for t in report.exercism(inconclusive)["tests"]}["lock_ordering: " + _check(0, "lock_ordering").id]
    assert slow["status"] == "pass" and slow["message"].startswith("无法判定")
