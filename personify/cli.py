"""`personify serve | demo | ingest | train | eval | bench`."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from personify.errors import ConfigError, InputError, PersonifyError
from personify.settings import Settings, get_settings

if TYPE_CHECKING:
    from personify.service import Personify

# The service names fixes as the HTTP API's callers make them; on the command line the
# same fix is a command. Every error the CLI prints passes through this one table.
CLI_FIXES = {
    "POST /v1/items": "`personify ingest items FILE`",
    "POST /v1/events": "`personify ingest events FILE`",
}
BATCH_FIELD = re.compile(r"^(?:items|events)\[(\d+)\]")


def for_the_command_line(message: str) -> str:
    for route, command in CLI_FIXES.items():
        message = message.replace(route, command)
    return message


def _service(settings: Settings) -> Personify:
    from personify.service import Personify

    return Personify(settings)


def serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from personify.api.app import create_app
    from personify.api.asgi import open_tenancy
    from personify.logs import configure_json_logging

    settings.check_bind(args.host)
    if args.workers > 1 and not settings.chroma_url:
        raise ConfigError(
            f"--workers {args.workers} needs a Chroma server: embedded Chroma belongs to one "
            "process. Set PERSONIFY_CHROMA_URL (and PERSONIFY_DATABASE_URL for PostgreSQL).",
            field="PERSONIFY_CHROMA_URL",
        )
    if args.load_demo:
        settings = _demo_settings(settings, args.workers)
        from personify.demo import load_demo

        service = _service(settings)
        if load_demo(service):
            print("Loaded the demo catalog and personas.", flush=True)
        service.close()
    # JSON lines for every logger, uvicorn's included; our access line replaces uvicorn's,
    # which would print raw paths (user ids).
    configure_json_logging()
    options = {"host": args.host, "port": args.port, "log_config": None, "access_log": False}
    if args.workers > 1:  # each worker process builds the app from the environment
        uvicorn.run(
            "personify.api.asgi:app_from_env", factory=True, workers=args.workers, **options
        )
    else:
        uvicorn.run(create_app(lambda: open_tenancy(settings)), **options)
    return 0


def _demo_settings(settings: Settings, workers: int = 1) -> Settings:
    """The demo's own stores (<data dir>/demo), apart from the user's data."""
    from personify.demo import demo_settings

    if settings.multi_tenant:
        raise ConfigError(
            "--load-demo serves the demo as the single tenant: unset PERSONIFY_ADMIN_KEY, or "
            "load a tenant's catalog through the API with its secret key.",
            field="--load-demo",
        )
    if workers > 1:
        raise ConfigError(
            "--load-demo serves one process: drop --workers (the demo needs no more).",
            field="--load-demo",
        )
    demo = demo_settings(settings)
    print(
        f"The demo ({demo.product_name}) lives in {demo.data_dir}, apart from your own data "
        f"in {settings.data_dir}: `personify serve` without --load-demo serves yours.",
        flush=True,
    )
    return demo


def demo(_args: argparse.Namespace, settings: Settings) -> int:
    from personify.demo import load_demo, personas

    service = _service(_demo_settings(settings))
    load_demo(service)
    for persona in personas():
        plan = service.onboard(persona["user_id"])
        print(f"== {persona['user_id']} ({persona['traits'].get('role', '')})")
        print(plan.message)
        for item in plan.items:
            print(f"  - {item.title} [{item.item_id}]: {item.reason}")
        fallback = plan.provenance.fallback
        print(
            f"  (model: {plan.provenance.model}" + (f", fallback: {fallback})" if fallback else ")")
        )
    service.close()
    return 0


def ingest(args: argparse.Namespace, settings: Settings) -> int:
    from personify.ingest import read_records

    service = _service(settings)
    records = list(read_records(Path(args.file)))
    size = settings.max_batch
    total = duplicates = 0
    for start in range(0, len(records), size):
        batch = records[start : start + size]
        try:
            if args.kind == "items":
                total += service.add_items(batch)
            else:
                result = service.add_events(batch)
                total += result.accepted
                duplicates += result.duplicates
        except PersonifyError as exc:
            raise type(exc)(
                f"{args.file}: {_record(exc.field, start)}: {exc.message}", field=exc.field
            ) from exc
    print(json.dumps({"kind": args.kind, "stored": total, "duplicates": duplicates}))
    service.close()
    return 0


def _record(field: str | None, start: int) -> str:
    """Which record of the file an error is about: `events[3].item_id` in the batch that
    starts at record 1001 is record 1004."""
    found = BATCH_FIELD.match(field or "")
    if found is None:
        return f"in the batch starting at record {start + 1}"
    return f"record {start + int(found.group(1)) + 1}"


def train(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(settings)
    meta = service.train(seed=args.seed)
    print(json.dumps(meta, indent=2))
    service.close()
    return 0


def eval_convert(args: argparse.Namespace, _settings: Settings) -> int:
    from personify.evals.convert import convert_goodbooks

    counts = convert_goodbooks(Path(args.source), Path(args.out))
    print(json.dumps({"out": args.out, **counts}))
    return 0


def eval_recs(args: argparse.Namespace, _settings: Settings) -> int:
    from personify.evals.dataset import load_dataset
    from personify.evals.recs import evaluate_recs
    from personify.evals.report import write_recs_report

    ks = _ks(args.k)
    dataset = load_dataset(Path(args.dataset))
    report = evaluate_recs(dataset, how=args.split, min_value=args.min_value, ks=ks, seed=args.seed)
    path = write_recs_report(report, Path(args.out))
    print((path.parent / "summary.md").read_text())
    return 0


def eval_experiments(args: argparse.Namespace, _settings: Settings) -> int:
    from personify.evals.dataset import load_dataset
    from personify.evals.experiments_report import evaluate_experiments, write_experiments_report

    if args.runs < 1:
        raise InputError("--runs: give at least 1.", field="runs")
    if args.users < 0:
        raise InputError("--users: give 0 (every held-out user once) or more.", field="users")
    report = evaluate_experiments(
        load_dataset(Path(args.dataset)),
        runs=args.runs,
        users=args.users,
        how=args.split,
        min_value=args.min_value,
        seed=args.seed,
    )
    path = write_experiments_report(report, Path(args.out))
    print((path.parent / "summary.md").read_text())
    return 0


def eval_interleave(args: argparse.Namespace, _settings: Settings) -> int:
    from personify.evals.dataset import load_dataset
    from personify.evals.interleave import evaluate_interleave, write_interleave_report

    report = evaluate_interleave(
        load_dataset(Path(args.dataset)),
        a=args.a,
        b=args.b,
        how=args.split,
        min_value=args.min_value,
        seed=args.seed,
    )
    path = write_interleave_report(report, Path(args.out))
    print((path.parent / "summary.md").read_text())
    return 0


def eval_generation(args: argparse.Namespace, settings: Settings) -> int:
    from personify.evals.dataset import load_dataset
    from personify.evals.generation import evaluate_generation

    if args.users < 1:
        raise InputError("--users: give at least 1.", field="users")
    report = evaluate_generation(
        load_dataset(Path(args.dataset)), users=args.users, seed=args.seed, settings=settings
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = report.to_json()
    if args.demo_questions:
        from personify.agent.factory import make_chat_model
        from personify.evals.answers import run_answer_eval

        answers = run_answer_eval(settings, model=make_chat_model(settings))
        generation = written["results"]["generation"]
        generation["answer_relevance"] = answers["answer_relevance"]
        generation["specific_reason_rate"] = answers["specific_reason_rate"]
        generation["demo_questions"] = answers
    (out / "report.json").write_text(json.dumps(written, indent=2), encoding="utf-8")
    print(json.dumps(written["results"]["generation"], indent=2))
    return 0


def eval_faithfulness(args: argparse.Namespace, settings: Settings) -> int:
    from personify.evals.faithfulness import evaluate_faithfulness

    embedder = None
    if args.semantic:
        from personify.retrieval.embeddings import MiniLMEmbedder

        embedder = MiniLMEmbedder(threads=settings.llm_threads)
    written = {"results": evaluate_faithfulness(embedder)}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(written, indent=2), encoding="utf-8")
    print(json.dumps(written["results"], indent=2))
    return 0


def _ks(raw: str) -> list[int]:
    try:
        ks = sorted({int(k) for k in raw.split(",") if k.strip()})
    except ValueError:
        ks = []
    if not ks or ks[0] < 1:
        raise InputError(f"--k {raw!r}: give positive cut-offs separated by commas, e.g. 10,20.")
    return ks


def load(args: argparse.Namespace, _settings: Settings) -> int:
    from personify.load import main as run_load

    return run_load(seconds=args.seconds)


def bench(args: argparse.Namespace, settings: Settings) -> int:
    from personify.bench import run_bench, train_bench

    run_bench(settings, items=args.items, users=args.users, events=args.events)
    if args.train_events:
        users = max(args.users, args.train_events // 50)
        train_bench(settings, items=args.items, users=users, events=args.train_events)
    if args.experiment_events:
        from personify.bench import line
        from personify.experiments.bench import results_bench

        users, events = args.experiment_users, args.experiment_events
        seconds = results_bench(settings, users=users, events=events)
        line(f"experiment results ({users:,} users, {events:,} events)", f"{seconds:.2f} s")
    return 0


def experiment_report(args: argparse.Namespace, settings: Settings) -> int:
    from personify.experiments.report import write_report

    service = _service(settings)
    try:
        page = write_report(service.experiments, args.key, Path(args.out))
    finally:
        service.close()
    print(json.dumps({"report": str(page), "json": str(page.parent / "report.json")}))
    return 0


def eval_pii(args: argparse.Namespace, _settings: Settings) -> int:
    from personify.evals.pii import PiiMeta, evaluate, write_report
    from personify.evals.pii_data import load_conll, load_presidio
    from personify.privacy.redactor import PresidioRedactor

    path = Path(args.dataset)
    examples = load_presidio(path) if args.format == "presidio" else load_conll(path)
    if args.limit:
        examples = examples[: args.limit]
    results = evaluate(PresidioRedactor(), examples)
    meta = PiiMeta(dataset=str(path), format=args.format, texts=len(examples))
    report = write_report(results, meta, Path(args.out))
    print((report.parent / "summary.md").read_text())
    return 0


class _HelpWithDefaults(argparse.HelpFormatter):
    """Each option's help ends with its default, or says it is required."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if not action.option_strings or "%(default)" in text:
            return text
        if action.required:
            return text + " (required)"
        if any(action.default is nothing for nothing in (None, False, argparse.SUPPRESS)):
            return text  # a flag, or an option whose help says what leaving it out means
        return text + " (default: %(default)s)"


def _command(sub: Any, name: str, help: str) -> argparse.ArgumentParser:
    """A subcommand whose --help gives every option's default."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=help, description=help, formatter_class=_HelpWithDefaults
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="personify", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = _command(sub, "serve", "serve the HTTP API")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on; anything but loopback needs PERSONIFY_ADMIN_KEY",
    )
    p.add_argument("--port", type=int, default=8000, help="TCP port to listen on")
    p.add_argument(
        "--load-demo",
        action="store_true",
        help="serve the demo catalog and personas from <data dir>/demo (loaded on first "
        "use), apart from your own data",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes; more than 1 needs PERSONIFY_CHROMA_URL (see README)",
    )
    p.set_defaults(func=serve)
    p = _command(sub, "demo", "print onboarding for the demo personas (no server)")
    p.set_defaults(func=demo)
    p = _command(sub, "ingest", "load items or events from a JSONL or CSV file")
    p.add_argument(
        "kind", choices=["items", "events"], help="items (the catalog) or events (behaviour)"
    )
    p.add_argument(
        "file",
        help="a .jsonl file (one JSON object a line) or a .csv file with a header row "
        "(tags split on | or ,); events name items already ingested",
    )
    p.set_defaults(func=ingest)
    p = _command(sub, "eval", "offline evaluations")
    evals = p.add_subparsers(dest="evaluation", required=True)
    e = _command(evals, "pii", "score PII redaction on labelled text")
    e.add_argument("--dataset", required=True, help="a labelled file")
    e.add_argument("--format", choices=["presidio", "conll"], required=True, help="its format")
    e.add_argument("--out", required=True, help="folder for report.json and summary.md")
    e.add_argument("--limit", type=int, default=0, help="score only the first N texts; 0: all")
    e.set_defaults(func=eval_pii)
    e = _command(evals, "convert", "write a public dataset in the neutral format")
    e.add_argument("name", choices=["goodbooks"], help="the dataset")
    e.add_argument("source", help="the dataset's folder")
    e.add_argument("out", help="folder for items.jsonl and events.jsonl")
    e.set_defaults(func=eval_convert)
    e = _command(evals, "recs", "Personify's ranker against standard baselines")
    e.add_argument(
        "--dataset",
        required=True,
        help="folder with items.jsonl and events.jsonl (either may be .gz)",
    )
    e.add_argument("--out", required=True, help="folder for report.json, summary.md, report.html")
    e.add_argument(
        "--split",
        choices=["user-last", "time"],
        default="user-last",
        help="hold out each user's newest 20%%, or everything past the 80%% time quantile",
    )
    e.add_argument(
        "--min-value", type=float, default=None, help="positives: value >= this; none: all"
    )
    e.add_argument("--k", default="10,20", help="cut-offs, comma separated")
    e.add_argument("--seed", type=int, default=0, help="random seed (splits, sampling)")
    e.set_defaults(func=eval_recs)
    simulated = _command(
        evals, "experiments", "simulated A/B tests that check the experiment statistics"
    )
    interleaved = _command(
        evals, "interleave", "team-draft interleaving of two rankers on held-out users"
    )
    for e in (simulated, interleaved):
        e.add_argument(
            "--dataset",
            required=True,
            help="folder with items.jsonl and events.jsonl (either may be .gz)",
        )
        e.add_argument("--out", required=True, help="folder for report.json and summary.md")
        e.add_argument(
            "--split",
            choices=["user-last", "time"],
            default="user-last",
            help="hold out each user's newest 20%%, or everything past the 80%% time quantile",
        )
        e.add_argument(
            "--min-value", type=float, default=None, help="positives: value >= this; none: all"
        )
        e.add_argument("--seed", type=int, default=0, help="random seed (split, draws)")
    simulated.add_argument(
        "--runs", type=int, default=500, help="simulated experiments of each kind"
    )
    simulated.add_argument(
        "--users",
        type=int,
        default=0,
        help="simulated users (held-out users, copied under new ids past their number); "
        "0: each held-out user once",
    )
    simulated.set_defaults(func=eval_experiments)
    for name in ("a", "b"):
        interleaved.add_argument(
            f"--{name}",
            choices=["personalized", "popular", "content"],
            required=True,
            help=f"ranker {name.upper()}",
        )
    interleaved.set_defaults(func=eval_interleave)
    e = _command(evals, "generation", "the agent's answers: grounding, privacy, speed")
    e.add_argument(
        "--dataset",
        required=True,
        help="folder with items.jsonl and events.jsonl (either may be .gz)",
    )
    e.add_argument("--users", type=int, required=True, help="how many users to run")
    e.add_argument("--out", required=True, help="folder for report.json")
    e.add_argument("--seed", type=int, default=0, help="random seed (which users)")
    e.add_argument(
        "--demo-questions",
        action="store_true",
        help="also ask the 55 labelled questions about the demo catalog through the model: "
        "answer_relevance and specific_reason_rate",
    )
    e.set_defaults(func=eval_generation)
    e = _command(evals, "faithfulness", "the check that cuts unsupported sentences, on labels")
    e.add_argument("--out", required=True, help="folder for report.json")
    e.add_argument(
        "--semantic",
        action="store_true",
        help="also score a claim check by embedding similarity, beside word overlap",
    )
    e.set_defaults(func=eval_faithfulness)
    p = _command(sub, "train", "refit ALS factors and the learned re-ranker from the event log")
    p.add_argument("--seed", type=int, default=0, help="random seed (split, ALS, rankers)")
    p.set_defaults(func=train)
    p = _command(sub, "load", "a bounded load run against personify serve on loopback")
    p.add_argument("--seconds", type=float, default=10.0, help="length of each step")
    p.set_defaults(func=load)
    p = _command(sub, "bench", "measure throughput and latency on generated data")
    p.add_argument("--items", type=int, default=10_000, help="catalog items to generate")
    p.add_argument("--users", type=int, default=1_000, help="users to generate")
    p.add_argument("--events", type=int, default=100_000, help="events to generate")
    p.add_argument(
        "--train-events",
        type=int,
        default=0,
        help="also time `personify train` on a log of this many events (1,000,000 in the README)",
    )
    p.add_argument(
        "--experiment-events",
        type=int,
        default=0,
        help="also time an experiment's results on this many outcome events (1,000,000 in "
        "the README)",
    )
    p.add_argument(
        "--experiment-users",
        type=int,
        default=100_000,
        help="exposed users for --experiment-events",
    )
    p.set_defaults(func=bench)
    p = _command(sub, "experiment", "A/B experiments: reports")
    experiment = p.add_subparsers(dest="action", required=True)
    e = _command(experiment, "report", "results of an experiment as report.json and report.html")
    e.add_argument("key", help="the experiment's key")
    e.add_argument("--out", required=True, help="folder for report.json and report.html")
    e.set_defaults(func=experiment_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args, get_settings()))
    except ConfigError as exc:
        print(
            f"personify: configuration error: {for_the_command_line(exc.message)}",
            file=sys.stderr,
        )
        return 2
    except PersonifyError as exc:
        print(f"personify: {for_the_command_line(exc.message)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
