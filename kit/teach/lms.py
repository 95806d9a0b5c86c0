"""The class's grades as an LMS gradebook imports them: ``canvas.csv`` and ``moodle.csv``.

Written next to ``gradebook.csv`` by ``python -m kit gradebook ... --format canvas moodle``
and ``python -m kit batch ... --format canvas moodle`` (``gradebook.csv`` itself is always
written, unchanged: it is the full record, these files are views of it).

**The grade.** One column: the assignment's grade out of ``--points`` (default: the
rubric's full points, every graded exercise's checks; for Moodle 100, see below). Each
student's value is their share of the points counted for them (``score / max``: an
inconclusive check is left out of both, as everywhere in the kit) times that maximum,
rounded to 2 decimals. Without an inconclusive check this is exactly the score. A student
with nothing counted (every check inconclusive) gets an empty cell: no grade, in both LMSs.

**Who is who.** The kit knows a student only by the name it was given (a folder, a zip, a
GitHub username, Gradescope's names). ``--roster FILE`` maps those names to the LMS's
identifiers: a CSV with a header, one row per student, a column ``kit_name`` (the name as
in gradebook.csv's ``student`` column) and any of ``Student`` (the LMS display name),
``ID`` (Canvas user id), ``SIS User ID``, ``SIS Login ID``, ``Section``, ``Email address``
(or ``email``), ``Username``, ``ID number`` (or ``idnumber``). Headers are matched without
case, spaces or underscores, so Canvas's own gradebook export, with a ``kit_name`` column
added, is a roster. Identifiers are written exactly as given; the kit's names are written
with the spreadsheet-formula guard of gradebook.csv.

Canvas (Grades > Import). The rules below are the importer's code, ``lib/gradebook_importer.rb``
of instructure/canvas-lms (``row_has_student_headers?``, ``update_column_count``,
``check_for_non_student_row``, ``process_student``); the header and the Points Possible row
are what its exporter, ``lib/gradebook_exporter.rb``, writes. The user-facing pages: the
Instructor Guide "How do I import grades in the Gradebook?",
https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807,
and Ohio State's "Import a CSV file to Carmen grades",
https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades.
The file: the exporter's header ``Student, ID, SIS User ID, SIS Login ID, Section`` (Section last of
the student columns), one assignment column titled ``Title (ID)`` (``--assignment``; the
importer matches ``/\\A(.*)\\s\\((\\d+)\\)\\z/`` to an existing assignment by id, else by exact
title, else creates one), then the exporter's ``    Points Possible`` row (it sets the
points of an assignment the import creates). Students are matched by ID, then SIS User ID,
then SIS Login ID, then exact name: without a roster only the name is there, and a student
the roster lacks is written with the kit's name alone (a warning names them).

Moodle (Grades > Import > CSV file). The rules are the importer's code,
``grade/import/csv/classes/load_data.php`` of moodle/moodle (``map_user_data_with_value``,
``prepare_import_grade_data``, ``insert_grade_record``), the headers those of the sample file
in its test ``grade/import/csv/tests/load_data_test.php``; the user-facing page is
https://docs.moodle.org/311/en/Grade_import. The file: one identifier column, one grade column (header: the grade item's name), one
``Feedback: <name>`` column (each exercise's points, e.g. ``lock_balance 10/10;
pool_map 4/10``), as Moodle's own export heads them. On the import page the teacher maps
the identifier column ("Map from") to the matching user field ("Map to": email address,
username or ID number) and the grade (and feedback) column to the grade item. The roster's
identifier is the first it has of email, username, idnumber. Moodle aborts the whole
import at a row whose user it cannot find, and carries the previous row's user over a row
whose identifier is empty, so a student without that identifier is left out of
moodle.csv (a warning names them). Moodle also refuses any grade above 100 unless the site
allows more, hence ``--points`` 100 by default there: a percentage, for a grade item out
of 100. Without a roster the column is the kit's name, headed ``Student``: map it only if
those names are your Moodle usernames.
"""
import csv
import re
from pathlib import Path
from typing import Dict, List, Optional


FORMATS = ("csv", "canvas", "moodle")
FILES = {"canvas": "canvas.csv", "moodle": "moodle.csv"}
DEFAULT_ASSIGNMENT = "Concurrency exercises"
CANVAS_HEAD = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "    Points Possible"   # as Canvas's exporter writes it
# Roster headers, normalised (no case, spaces or underscores) -> the field they give.
ROSTER_FIELDS = {"kitname": "kit_name", "kit": "kit_name", "student": "name", "name": "name",
                 "id": "id", "canvasid": "id", "sisuserid": "sis_user_id", "sisloginid": "sis_login_id",
                 "section": "section", "email": "email", "emailaddress": "email", "username": "username",
                 "idnumber": "idnumber"}
MOODLE_KEYS = (("email", "Email address"), ("username", "Username"), ("idnumber", "ID number"))
CANVAS_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z")   # Assignment.title_and_id in Canvas


class RosterError(SystemExit):
    pass


def cell(text) -> str:
    """A spreadsheet must not run a formula a student put in a name or a message (gradebook.csv's
    guard too): a cell starting with = + - @ or a tab or CR gets a leading '."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def num(x) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


def points_text(x: float) -> str:
    """A grade as the LMS reads it: at most 2 decimals, a point, no exponent (8.5, 100, 87.27)."""
    text = f"{round(x, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _norm(header: str) -> str:
    return re.sub(r"[\s_]+", "", header.strip().lstrip("\ufeff")).casefold()


def read_roster(path) -> Dict[str, dict]:
    """kit name -> {field: value} (fields of ``ROSTER_FIELDS``, empty ones left out)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"roster {path}: cannot read it ({exc})")
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise RosterError(f"roster {path}: empty")
    fields = [ROSTER_FIELDS.get(_norm(h)) for h in rows[0]]
    if "kit_name" not in fields:
        raise RosterError(f"roster {path}: no kit_name column (the student's name as in gradebook.csv); "
                          f"its columns: {', '.join(rows[0])}")
    out: Dict[str, dict] = {}
    for n, row in enumerate(rows[1:], 2):
        entry = {f: v.strip() for f, v in zip(fields, row) if f and v.strip()}
        name = entry.pop("kit_name", "")
        if not name:
            continue
        if name in out:
            raise RosterError(f"roster {path}: line {n}: {name!r} appears twice")
        out[name] = entry
    return out


def full_points(state: dict) -> float:
    """The rubric's full points: every check of every graded exercise."""
    return sum(p for ex in state["rubric"] for _, p in ex["checks"])


def grade(rep, points: float) -> str:
    """The LMS value: the share of the points counted (inconclusive checks left out of both)
    times ``points``, 2 decimals; "" when nothing was counted."""
    if not rep.max:
        return ""
    return points_text(rep.score / rep.max * points)


def feedback(rep) -> str:
    """Each exercise's points, e.g. ``lock_balance 10/10; pool_map 4/10``."""
    return "; ".join(f"{e.name} {num(e.score)}/{num(e.max)}" for e in rep.exercises)


def canvas_rows(records, state, roster: Optional[dict], assignment: str, points: float, warn) -> List[list]:
    rows = [CANVAS_HEAD + [assignment], [POINTS_POSSIBLE, "", "", "", "", points_text(points)]]
    missing = []
    for rec in records:
        who = (roster or {}).get(rec.student)
        if roster is not None and who is None:
            missing.append(rec.student)
        who = who or {}
        rows.append([cell(who.get("name") or rec.student), who.get("id", ""), who.get("sis_user_id", ""),
                     who.get("sis_login_id", ""), cell(who.get("section", "")), grade(rec.report, points)])
    if roster is None:
        warn("canvas.csv: no --roster: the ID, SIS User ID and SIS Login ID columns are empty, so Canvas can "
             "match a student only by their exact name, and the kit knows only the name it was given (a folder, "
             "an upload, a GitHub username). Give --roster FILE (kit_name plus ID or SIS Login ID), or check "
             "the students Canvas lists as not found before you accept the import.")
    if missing:
        warn(f"canvas.csv: {_students(len(missing))} {'is' if len(missing) == 1 else 'are'} not in the roster; their rows carry the kit's name only "
             f"(Canvas matches them by exact name, or lists them as not found): {_names(missing)}")
    if not CANVAS_ID.match(assignment):
        warn(f"canvas.csv: the column {assignment!r} carries no Canvas assignment id: Canvas puts the grades in "
             "the assignment of that exact title, or creates one. --assignment 'Title (ID)', as in Canvas's "
             "own export, names an existing assignment.")
    return rows


def moodle_rows(records, roster: Optional[dict], assignment: str, points: float, warn) -> List[list]:
    key, head = None, "Student"
    if roster is not None:
        have = {f for entry in roster.values() for f in entry}
        key, head = next(((f, h) for f, h in MOODLE_KEYS if f in have), (None, None))
        if key is None:
            raise RosterError("moodle.csv: the roster has no email, username or idnumber column: Moodle "
                              "maps students only by one of those (or its internal user id)")
    m = CANVAS_ID.match(assignment)
    item = m.group(1) if m else assignment     # "HW3 (12345)" for Canvas is the item "HW3" here
    rows = [[head, item, f"Feedback: {item}"]]
    left_out = []
    for rec in records:
        if key is None:
            who = cell(rec.student)
        else:
            who = (roster.get(rec.student) or {}).get(key, "")
            if not who:
                left_out.append(rec.student)
                continue
        rows.append([who, grade(rec.report, points), feedback(rec.report)])
    if key is None:
        warn("moodle.csv: no --roster: students are identified by the kit's names (column Student). Moodle "
             "maps a row only by its user id, ID number, email address or username, across the whole site, "
             "and stops the whole import at a name it cannot find: give --roster FILE (kit_name plus email, "
             "username or idnumber), or map Student to username only if these names are your Moodle usernames.")
    if left_out:
        warn(f"moodle.csv: {_students(len(left_out))} {'has' if len(left_out) == 1 else 'have'} no {key} in the roster and {'was' if len(left_out) == 1 else 'were'} left out (Moodle stops "
             f"the whole import at a user it cannot find): {_names(left_out)}")
    if points > 100:
        warn(f"moodle.csv: grades out of {points_text(points)}: Moodle refuses a grade above 100 unless the site allows "
             "larger grades (unlimitedgrades); the default --points for Moodle is 100, a percentage")
    return rows


def _students(n: int) -> str:
    return f"{n} student" + ("" if n == 1 else "s")


def _names(names: list, n: int = 10) -> str:
    return ", ".join(names[:n]) + (f" ... ({len(names) - n} more)" if len(names) > n else "")


def write(out: Path, records: list, state: dict, lms: dict, warn=print) -> List[Path]:
    """The LMS files ``lms["formats"]`` asks for (``csv`` is gradebook.csv, written by the
    caller) into ``out``; ``lms``: formats, roster (a path or None), assignment, points (None:
    each format's default). Returns the files written."""
    formats = [f for f in lms.get("formats") or () if f != "csv"]
    if not formats:
        return []
    unknown = [f for f in formats if f not in FILES]
    if unknown:
        raise SystemExit(f"gradebook: no such format: {', '.join(unknown)} (known: {', '.join(FORMATS)})")
    roster = read_roster(lms["roster"]) if lms.get("roster") else None
    assignment = lms.get("assignment") or DEFAULT_ASSIGNMENT
    written = []
    for fmt in formats:
        points = lms.get("points")
        if points is None:
            points = 100.0 if fmt == "moodle" else full_points(state)
        if fmt == "canvas":
            rows = canvas_rows(records, state, roster, assignment, points, warn)
        else:
            rows = moodle_rows(records, roster, assignment, points, warn)
        path = Path(out) / FILES[fmt]
        with open(path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)
        written.append(path)
    if roster is not None:
        graded = {r.student for r in records}
        absent = [name for name in roster if name not in graded]
        if absent:
            warn(f"roster: {len(absent)} of its students {'has' if len(absent) == 1 else 'have'} no graded submission here (no row written): "
                 f"{_names(absent)}")
    flagged = [r.student for r in records if r.report.tamper]
    if flagged:
        warn(f"{_students(len(flagged))} {'is' if len(flagged) == 1 else 'are'} flagged tamper (the tamper column of gradebook.csv): look at their "
             f"reports before you upload: {_names(flagged)}")
    undecided = [r.student for r in records if not r.report.max]
    if undecided:
        warn(f"{_students(len(undecided))} had every check inconclusive: their grade cell is empty: {_names(undecided)}")
    return written


HELP_FORMAT = ("gradebook files to write: csv (gradebook.csv, always written), canvas (canvas.csv: "
               "Canvas's gradebook import), moodle (moodle.csv: Moodle's CSV grade import)")
HELP_ROSTER = ("CSV mapping the kit's student names (column kit_name) to the LMS's: Student, ID, SIS User ID, "
               "SIS Login ID, Section (Canvas); email, username or idnumber (Moodle)")
HELP_ASSIGNMENT = (f"the grade column's title: the Canvas assignment as its export names it, 'Title (ID)', or "
                   f"the Moodle grade item's name (default {DEFAULT_ASSIGNMENT!r})")
HELP_POINTS = "the grade column's maximum (default: the rubric's full points for Canvas, 100 for Moodle)"


def add_options(p) -> None:
    """The LMS options of ``gradebook`` and ``batch`` (the same on both)."""
    p.add_argument("--format", nargs="+", choices=FORMATS, default=None, metavar="FORMAT", help=HELP_FORMAT)
    p.add_argument("--roster", default=None, metavar="FILE", help=HELP_ROSTER)
    p.add_argument("--assignment", default=None, metavar="TITLE", help=HELP_ASSIGNMENT)
    p.add_argument("--points", type=float, default=None, help=HELP_POINTS)


def options(args) -> Optional[dict]:
    """The LMS options given on the command line, as ``write`` takes them; None when none was."""
    if args.format is None and args.roster is None and args.assignment is None and args.points is None:
        return None
    formats = list(args.format or ["csv"])
    extra = args.roster is not None or args.assignment is not None or args.points is not None
    if extra and not any(f in FILES for f in formats):
        raise SystemExit("--roster, --assignment and --points are for the LMS files: add --format canvas and/or moodle")
    if args.roster is not None:
        read_roster(args.roster)   # refused now, before anything is written
    return {"formats": formats, "roster": str(Path(args.roster).resolve()) if args.roster else None,
            "assignment": args.assignment, "points": args.points}
