"""`healthmon` (and `python -m framework`): the command line over the same entry points as the job.

Every command builds one :class:`~framework.engine.context.Context` for ``--home`` (creating the local
lakehouse on first use) and calls the package; no logic lives here beyond argument parsing and
printing.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import date
from pathlib import Path

from framework import __version__
from framework.errors import FrameworkError, SpecError
from framework.platform.logs import configure as configure_logging
from framework.platform.params import RunParams

# Tables of one layer at once: on a local session the driver's per-table work (planning, Delta
# log reads, Python) overlaps with the other table's Spark jobs.
DEFAULT_PARALLEL = 2


def _common_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """The lakehouse options every command takes, before or after the command's name.

    The top-level parser holds the defaults; each command's parser repeats the options with
    ``SUPPRESS`` so a value given after the command overrides one given before it, and an absent
    one leaves it alone.
    """
    base = RunParams()
    values = {
        "--home": os.environ.get("HEALTHMON_HOME", "./.lakehouse"),
        "--remote": os.environ.get("SPARK_REMOTE"),
        "--catalog": base.catalog,
        "--bronze-schema": base.bronze_schema,
        "--gold-schema": base.gold_schema,
        "--control-schema": base.control_schema,
    }
    helps = {
        "--home": "local lakehouse folder (env HEALTHMON_HOME, default ./.lakehouse); with --remote, the server's view of it",
        "--remote": "run as a Spark Connect client of sc://HOST:PORT (env SPARK_REMOTE) instead of starting a local Spark; "
                    "without it, a running `healthmon serve` of --home (its <home>/server.json) is used when it answers",
    }
    metavars = {"--home": "DIR", "--remote": "sc://HOST:PORT"}
    for flag, default in values.items():
        parser.add_argument(flag, default=default if defaults else argparse.SUPPRESS, help=helps.get(flag), metavar=metavars.get(flag))
    _verbose_option(parser, defaults=defaults)


def _verbose_option(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """``--verbose``, before or after the command's name (as :func:`_common_options`)."""
    parser.add_argument("--verbose", action="store_true", default=False if defaults else argparse.SUPPRESS,
                        help="keep Spark's own logging (its start-up notices and warnings; quiet by default: errors only) "
                             "and print the framework's INFO records (env HEALTHMON_LOG_LEVEL still wins)")


def _selection(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options that choose what a run (or its plan) covers."""
    parser.add_argument("--table", action="append", dest="tables", help="only this table (repeatable)")
    parser.add_argument("--domain", action="append", dest="domains", help="only this domain (repeatable)")
    parser.add_argument("--full-refresh", action="store_true", help="ignore watermarks and rebuild the Gold tables")
    return parser


def _authoring_verbs(sub, common: argparse.ArgumentParser) -> None:
    """draft, lineage, schema: the verbs that help write metadata."""
    draft = sub.add_parser("draft", parents=[common], help="a first onboarding entry from a Gold design (YAML): columns matched to the source by "
                           "name and struct path, a load type proposed, every guess it could not make a # TODO")
    draft.add_argument("design", help="the design file (table_name, domain, bronze_source, primary_key, columns)")
    draft.add_argument("--source", default=None, help="read this table's live schema (a lakehouse table; default: the packaged DDL of the design's "
                                                      "bronze_source, no Spark needed)")
    draft.add_argument("--out", default=None, help="write it to this file instead")
    lineage = sub.add_parser("lineage", parents=[common], help="print each Gold column's source columns and expression, from the control table (docs/lineage.md)")
    lineage.add_argument("--out", default=None, help="write it to this file instead")
    schema = sub.add_parser("schema", help="print the onboarding files' JSON Schema (docs/onboarding.schema.json); no Spark needed")
    schema.add_argument("--out", default=None, help="write it to this file instead")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    _common_options(common, defaults=False)

    parser = argparse.ArgumentParser(
        prog="healthmon", description="Health Monitor hydration framework",
        epilog="Session: --remote/SPARK_REMOTE, else the Spark Connect server of a running `healthmon serve` over --home "
               "(a couple of seconds per command: no JVM to start), else a local Spark started by the command (tens of seconds).")
    parser.add_argument("--version", action="version", version=f"healthmon {__version__}")
    _common_options(parser, defaults=True)
    sub = parser.add_subparsers(dest="command", required=True)
    boot = sub.add_parser("bootstrap", parents=[common], help="create schemas, control and audit tables")
    boot.add_argument("--demo-data", action="store_true", help="also append the next batch of generated Bronze data")
    boot.add_argument("--scale", type=int, default=1, help="with --demo-data: copies of each event table's rows (default 1)")
    onboard = sub.add_parser("onboard", parents=[common], help="validate and apply onboarding YAML files")
    onboard.add_argument("files", nargs="+")
    run = _selection(sub.add_parser("run", parents=[common], help="hydrate Gold tables"))
    run.add_argument("--dry-run", action="store_true", help="what the run would do, per table, writing nothing (as `healthmon plan`)")
    run.add_argument("--sql", action="store_true", help="with --dry-run: also print the MERGE each table's write would run")
    run.add_argument("--job-run-id", default=None, help="recorded in the audit rows")
    run.add_argument("--parallel", type=int, default=DEFAULT_PARALLEL, help=f"tables of one dependency layer run at once (default {DEFAULT_PARALLEL})")
    plan = _selection(sub.add_parser("plan", parents=[common], help="what a run would do, per table: the window, the rows it would read, "
                                     "insert, update and delete (the run's own diff; nothing written)"))
    plan.add_argument("--sql", action="store_true", help="also print the MERGE each table's write would run")
    sub.add_parser("status", parents=[common], help="per-table health")
    sql = sub.add_parser("sql", parents=[common], help="run one SQL statement and print the result")
    sql.add_argument("query")
    sql.add_argument("--format", choices=["csv", "json"], default="csv")
    serve = sub.add_parser("serve", parents=[common], help="SQL endpoint (Spark Thrift server) and Spark Connect server on 127.0.0.1; prints the "
                           "SQLAlchemy URL then the sc:// URL, writes both to <home>/server.json (other commands over --home then use it), "
                           "stops on SIGINT/SIGTERM; ignores --remote")
    serve.add_argument("--port", type=int, default=None, help="Thrift TCP port (default 10000; 0 picks a free one, the printed URL has it)")
    serve.add_argument("--connect-port", type=int, default=None, help="Spark Connect TCP port (default 15002; 0 picks a free one, the printed URL has it)")
    sub.add_parser("demo", parents=[common], help="bootstrap, append a Bronze batch, onboard all tables, run, summarize, write the health report")
    report = sub.add_parser("report", parents=[common], help="write the HTML health report (PNG charts from the dashboard queries)")
    report.add_argument("--out", default=None, help="output folder (default: <home>/report)")
    _report_filters(report)
    _authoring_verbs(sub, common)
    workspace = argparse.ArgumentParser(add_help=False)
    _verbose_option(workspace, defaults=False)
    workspace.add_argument("--profile", default=None, help="~/.databrickscfg profile (default: the SDK's own auth, e.g. DATABRICKS_HOST/DATABRICKS_TOKEN)")
    job_verbs = sub.add_parser("job", help="the deployed gold_hydration job, through databricks-sdk").add_subparsers(dest="verb", required=True)
    job_run = job_verbs.add_parser("run", parents=[workspace], help="start a run of the deployed job")
    which = job_run.add_mutually_exclusive_group()
    which.add_argument("--job-id", type=int, default=None, help="the job's id")
    which.add_argument("--job-name", default=None, help="job name, or your development copy '[dev <user>] NAME' (default gold_hydration)")
    job_run.add_argument("--table", action="append", dest="tables", help="only this table (repeatable)")
    job_run.add_argument("--domain", action="append", dest="domains", help="only this domain (repeatable)")
    job_run.add_argument("--full-refresh", action="store_true", help="ignore watermarks and rebuild the Gold tables")
    job_run.add_argument("--wait", action="store_true", help="poll until the run ends; exit 1 unless it succeeded")
    job_status = job_verbs.add_parser("status", parents=[workspace], help="a run's state and its tasks' states")
    job_status.add_argument("run_id", type=int)
    return parser


def _context(args, progress=None, *, views: bool = True):
    """The command's Context: session, lakehouse bootstrapped and, with ``views``, the dashboard
    views (a run or an onboarding, which never reads them, skips their creation)."""
    from framework.engine.context import Context
    from framework.platform.lakehouse import Lakehouse
    from framework.platform.server_file import serving_url
    from framework.platform.session import spark_session
    from framework.surfaces.views import ensure_views

    params = RunParams(args.catalog, args.bronze_schema, args.gold_schema, args.control_schema)
    home = Path(args.home).resolve()
    remote = args.remote or serving_url(home)
    if remote and not args.remote:
        print(f"healthmon: using the Spark Connect server at {remote} (healthmon serve over {home})", file=sys.stderr)
    lakehouse = Lakehouse(spark_session(home, remote=remote, quiet=not args.verbose, quick_jit=True), params, home)
    lakehouse.bootstrap()
    if views:
        ensure_views(lakehouse)
    return Context(lakehouse, progress=progress or (lambda line: print(line, file=sys.stderr)))


def _cmd_bootstrap(args) -> int:
    ctx = _context(args)
    if args.demo_data:
        from framework.demo.bronze import append_batch, next_batch_number

        batch = next_batch_number(ctx.lakehouse)
        written = append_batch(ctx.lakehouse, batch, scale=args.scale)
        print(f"Bronze batch {batch}: " + ", ".join(f"{t}={n}" for t, n in sorted(written.items())))
    print(f"lakehouse ready at {ctx.lakehouse.home}")
    return 0


def _cmd_onboard(args) -> int:
    from framework.onboarding.onboard import onboard_files

    ctx = _context(args, views=False)
    specs = onboard_files(ctx.lakehouse, args.files, now=ctx.clock())
    print(f"onboarded {len(specs)} table(s): {', '.join(s.table_name for s in specs)}")
    return 0


def _run(ctx, *, show_sql: bool = False, **options) -> int:
    from framework.engine.runner import run
    from framework.surfaces.output import plan_summary, run_summary

    result = run(ctx, **options)
    for plan in result.plans if show_sql else ():
        print(plan + "\n")
    print(plan_summary(result.rows) if options.get("dry_run") else run_summary(result.rows))
    print(f"run_id {result.run_id}: " + ("FAILED" if result.failed else "ok"))
    return 1 if result.failed else 0


def _cmd_run(args) -> int:
    from dataclasses import replace

    ctx = replace(_context(args, views=False), job_run_id=args.job_run_id)
    return _run(ctx, tables=args.tables, domains=args.domains, full_refresh=args.full_refresh, dry_run=args.dry_run, parallel=max(1, args.parallel),
                show_sql=args.sql)


def _cmd_plan(args) -> int:
    return _run(_context(args, views=False), tables=args.tables, domains=args.domains, full_refresh=args.full_refresh, dry_run=True,
                show_sql=args.sql)


def _cmd_status(args) -> int:
    from framework.surfaces.output import records, table
    from framework.surfaces.status import status_frame

    ctx = _context(args)
    recs = records(status_frame(ctx.lakehouse, ctx.clock()))
    headers = ["table_name", "domain", "enabled", "last_status", "watermark_value", "hours_since_success", "rows_read", "rows_inserted", "rows_updated", "rows_deleted", "rows_quarantined"]
    print(table(headers, [[r.get(h) for h in headers] for r in recs]))
    return 0


_READ_ONLY = re.compile(r"^[\s(]*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXPLAIN|VALUES|TABLE|FROM)\b", re.IGNORECASE)
_COMMENT = re.compile(r"^\s*(--[^\n]*\n|/\*.*?\*/)", re.DOTALL)


def reads_only(statement: str) -> bool:
    """Whether ``statement`` is a query (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, ...): it cannot
    create, alter or drop a catalog object, so listing the catalog around it is skipped."""
    text = statement
    while (m := _COMMENT.match(text)):
        text = text[m.end():]
    return bool(_READ_ONLY.match(text))


def _cmd_sql(args) -> int:
    from contextlib import nullcontext

    from framework.surfaces.output import to_csv, to_json

    ctx = _context(args, views=False)
    # what the statement creates, alters or drops is journaled; a query changes no catalog object
    catalog = None if reads_only(args.query) else ctx.lakehouse.catalog
    with catalog.recording() if catalog is not None else nullcontext():
        df = _sql_with_views(ctx.lakehouse, args.query)  # DDL and DML run here, queries when printed
    sys.stdout.write(to_json(df) + "\n" if args.format == "json" else to_csv(df))
    return 0


def _sql_with_views(lakehouse, query: str):
    """``query`` run; the dashboard views created first only when it names a table or view that is
    not there (a cold `SELECT 1` does not pay for creating them)."""
    from pyspark.errors import AnalysisException

    from framework.surfaces.views import ensure_views

    try:
        return lakehouse.spark.sql(query)
    except AnalysisException as exc:
        if "TABLE_OR_VIEW_NOT_FOUND" not in str(exc) or not ensure_views(lakehouse):
            raise
    return lakehouse.spark.sql(query)


def _cmd_serve(args) -> int:
    from framework.surfaces.serve import serve

    params = RunParams(args.catalog, args.bronze_schema, args.gold_schema, args.control_schema)
    return serve(Path(args.home).resolve(), params, port=args.port, connect_port=args.connect_port, quiet=not args.verbose)


def _cmd_demo(args) -> int:
    from framework.demo.bronze import append_batch, next_batch_number
    from framework.onboarding.onboard import onboard_files
    from framework.platform.resources import control_dir, onboarding_files
    from framework.platform.session import tune_for_small_data

    ctx = _context(args)
    tune_for_small_data(ctx.lakehouse.spark)  # the demo's batches are tiny
    batch = next_batch_number(ctx.lakehouse)
    written = append_batch(ctx.lakehouse, batch)
    print(f"Bronze batch {batch} appended: " + ", ".join(f"{t}={n}" for t, n in sorted(written.items())))
    specs = onboard_files(ctx.lakehouse, onboarding_files(), now=ctx.clock())
    print(f"onboarded {len(specs)} Gold tables from {control_dir()}/")
    from framework.surfaces.report import write_report

    try:
        return _run(ctx, parallel=DEFAULT_PARALLEL)
    finally:  # whatever the run's outcome
        print(f"health report: {write_report(ctx.lakehouse, now=ctx.clock()).index}")


def _report_filters(report: argparse.ArgumentParser) -> None:
    """The dashboard's filters page as options: domains, tables (the table picker) and run dates."""
    report.add_argument("--domain", action="append", dest="domains", default=[], help="only this domain (repeatable; the dashboard's Domain filter)")
    report.add_argument("--table", action="append", dest="tables", default=[], help="only this table (repeatable; the dashboard's Table filter)")
    report.add_argument("--from", dest="since", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                        help="runs and quarantined rows from this day (UTC, inclusive; the dashboard's Run date filter)")
    report.add_argument("--to", dest="until", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD", help="... up to this day (inclusive)")


def _cmd_report(args) -> int:
    from framework.surfaces.lakeview import Selection
    from framework.surfaces.report import write_report

    ctx = _context(args)
    selection = Selection({"domain": tuple(args.domains), "table_name": tuple(args.tables)}, (args.since, args.until))
    print(write_report(ctx.lakehouse, args.out, now=ctx.clock(), selection=selection).index)
    return 0


def _emit(text: str, out: str | None) -> int:
    """A generated document: to the ``--out`` file when given, else to stdout."""
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _cmd_draft(args) -> int:
    from framework.onboarding.drafting import draft_file

    text = draft_file(args.design, source=args.source, lakehouse=(lambda: _context(args, views=False).lakehouse))
    return _emit(text, args.out)


def _cmd_lineage(args) -> int:
    from framework.engine.control import read_control
    from framework.metadata.lineage import lineage_markdown

    text = lineage_markdown(list(read_control(_context(args, views=False).lakehouse).specs.values()))
    return _emit(text, args.out)


def _cmd_schema(args) -> int:
    from framework.engine.loads import meanings
    from framework.metadata.format import schema_text

    text = schema_text(meanings())
    return _emit(text, args.out)


def _cmd_job(args) -> int:
    from framework.surfaces.workspace_jobs import job_command

    return job_command(args)


COMMANDS = {
    "bootstrap": _cmd_bootstrap,
    "onboard": _cmd_onboard,
    "run": _cmd_run,
    "plan": _cmd_plan,
    "status": _cmd_status,
    "sql": _cmd_sql,
    "serve": _cmd_serve,
    "demo": _cmd_demo,
    "report": _cmd_report,
    "draft": _cmd_draft,
    "lineage": _cmd_lineage,
    "schema": _cmd_schema,
    "job": _cmd_job,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        # one line per record on the terminal; a failed table's traceback is in <home>/logs/
        configure_logging(default_level="INFO" if args.verbose else "WARNING", tracebacks=False)
        return COMMANDS[args.command](args)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except FrameworkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
