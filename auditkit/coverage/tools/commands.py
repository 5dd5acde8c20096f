"""Command-line load tools (ab, wrk, wrk2, hey, vegeta, siege, pgbench) and runner invocations.

Commands are read from shell scripts, Makefiles, ``package.json`` scripts, CI
files (GitHub Actions, GitLab CI, CircleCI, Azure, Bitbucket, Jenkinsfile).
A file that invokes one of the command-line tools *is* a load test (its tool
is the one invoked most); an invocation of a scripted tool (``k6 run x.js``,
``artillery run``, ``locust -f``, ``jmeter -t``) is recorded as an
:class:`~auditkit.coverage.model.Invocation` so the analysis can tell which
tests run in CI and where their results go.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from auditkit.coverage.js import BASE_HOLE, HOLE
from auditkit.coverage.model import Facts, Invocation
from auditkit.coverage.tools.base import Detection, SourceFile, is_ci_file
from auditkit.coverage.tools.k6 import record_url

__all__ = ["CommandTools", "HTTP_TOOLS", "RUNNERS"]

HTTP_TOOLS = ("ab", "wrk", "wrk2", "hey", "vegeta", "siege")
DB_TOOLS = ("pgbench",)
RUNNERS = ("k6", "artillery", "locust", "jmeter", "gatling")
_ALL = set(HTTP_TOOLS) | set(DB_TOOLS) | set(RUNNERS) | {"psql"}
_WORD = re.compile(
    rb"(?<![\w.-])(?:ab|wrk2?|hey|vegeta|siege|pgbench|k6|artillery|locust|jmeter|gatling(?:\.sh)?)(?![\w-])"
)
_SHELL_SUFFIXES = frozenset({".sh", ".bash", ".zsh", ".ksh"})
_MAKEFILES = frozenset({"Makefile", "makefile", "GNUmakefile"})
_ASSIGN = re.compile(r"^(?:export\s+|local\s+|readonly\s+)?([A-Za-z_]\w*)=(.*)$")
_MAKE_ASSIGN = re.compile(r"^(?:export\s+)?([A-Za-z_]\w*)\s*(\?=|:=|::=|\+=|=)\s*(.*)$")
_MAKE_TARGET = re.compile(r"^([A-Za-z0-9_./-]+)\s*:(?!=)")
_VAR = re.compile(r"\$\{([A-Za-z_]\w*)(?:(:?[-=?+])([^}]*))?\}|\$([A-Za-z_]\w*)|\$\(([A-Za-z_]\w*)\)")
_URLISH = re.compile(r"^(?:https?://|\$|\x01|\x00|/)")
_PREFIX_WORDS = {
    "sudo",
    "time",
    "nohup",
    "exec",
    "command",
    "do",
    "then",
    "else",
    "elif",
    "{",
    "!",
    "xargs",
    "timeout",
    "nice",
    "stdbuf",
    "eval",
}
_SEPARATORS = {";", "&&", "||", "|", "&", "(", ")", ";;", "|&"}
_DOCKER_IMAGES = {
    "k6": "k6",
    "wrk": "wrk",
    "vegeta": "vegeta",
    "artillery": "artillery",
    "locust": "locust",
    "jmeter": "jmeter",
    "hey": "hey",
    "siege": "siege",
    "ab": "ab",
    "httpd": "ab",
}

# Options that take a value, per tool (everything else starting with '-' is a flag).
_VALUE_OPTS: dict[str, set[str]] = {
    "ab": set("ncstbTpuvwxyzAPXHCgeEBm"),
    "wrk": {
        "t",
        "c",
        "d",
        "s",
        "H",
        "R",
        "threads",
        "connections",
        "duration",
        "script",
        "header",
        "timeout",
        "rate",
    },
    "hey": {"n", "c", "q", "z", "o", "m", "H", "t", "A", "d", "D", "T", "a", "x", "cpus"},
    "siege": {
        "c",
        "r",
        "t",
        "d",
        "f",
        "H",
        "A",
        "T",
        "R",
        "concurrent",
        "reps",
        "time",
        "delay",
        "file",
        "header",
        "log",
        "rc",
        "content-type",
        "user-agent",
    },
    "pgbench": {
        "c",
        "j",
        "T",
        "t",
        "R",
        "f",
        "b",
        "h",
        "p",
        "U",
        "s",
        "D",
        "L",
        "P",
        "M",
        "F",
        "client",
        "jobs",
        "time",
        "transactions",
        "rate",
        "file",
        "builtin",
        "host",
        "port",
        "username",
        "scale",
        "define",
        "latency-limit",
        "progress",
        "protocol",
        "log-prefix",
        "sampling-rate",
        "aggregate-interval",
    },
    "vegeta": {
        "rate",
        "duration",
        "targets",
        "output",
        "workers",
        "max-workers",
        "timeout",
        "format",
        "type",
        "name",
        "header",
        "body",
        "connections",
        "every",
        "buckets",
    },
}
_RUNNER_OPTS: dict[str, set[str]] = {
    "k6": {
        "out",
        "o",
        "summary-export",
        "e",
        "env",
        "vus",
        "u",
        "duration",
        "d",
        "config",
        "c",
        "tag",
        "stage",
        "s",
        "iterations",
        "i",
        "secret-source",
        "address",
        "a",
        "summary-trend-stats",
        "log-output",
        "console-output",
    },
    "artillery": {
        "output",
        "o",
        "e",
        "environment",
        "config",
        "c",
        "target",
        "t",
        "overrides",
        "variables",
        "v",
        "dotenv",
        "env-file",
        "record",
        "key",
        "tags",
        "name",
        "count",
        "region",
    },
    "locust": {
        "f",
        "locustfile",
        "H",
        "host",
        "u",
        "users",
        "r",
        "spawn-rate",
        "t",
        "run-time",
        "csv",
        "html",
        "json-file",
        "config",
        "tags",
        "T",
        "exclude-tags",
        "E",
        "master-host",
        "expect-workers",
    },
    "jmeter": {"t", "testfile", "l", "logfile", "j", "jmeterlogfile", "o", "J", "G", "p", "q", "R", "S", "X"},
    "gatling": {"s", "simulation", "rf", "results-folder", "sf", "simulations-folder", "rd"},
}
_CLOSED = "closed loop: a slow server lowers the request rate (coordinated omission); use an open model"


@dataclass
class _Line:
    number: int
    text: str
    label: str | None = None


@dataclass
class _Call:
    tool: str
    args: list[str]
    line: int
    label: str | None
    in_loop: list[tuple[str, list[str]]]
    piped_to: list[str] = field(default_factory=list)
    redirect: str | None = None
    stdin_from: list[str] = field(default_factory=list)


class CommandTools:
    """Finds command-line load tools and runner invocations in scripts, Makefiles, package.json, CI."""

    name = "commands"

    def claims(self, src: SourceFile) -> bool:
        """Shell scripts, Makefiles, package.json, CI files, Jenkinsfiles that name a load tool."""
        name = src.name
        kind = (
            src.suffix in _SHELL_SUFFIXES
            or name in _MAKEFILES
            or src.suffix == ".mk"
            or name == "package.json"
            or is_ci_file(src.rel)
            or src.data.startswith(b"#!/")
        )
        return kind and bool(_WORD.search(src.data))

    def detect(self, src: SourceFile) -> Detection:
        """Parse commands; return a load test for the command-line tools and the runner invocations."""
        out = Detection()
        lines, variables, var_lines = self._lines(src, out.notices)
        calls = list(self._calls(lines))
        ci = is_ci_file(src.rel)
        load_calls = [c for c in calls if c.tool in HTTP_TOOLS or c.tool in DB_TOOLS]
        for call in calls:
            if call.tool in RUNNERS:
                out.invocations.append(self._runner(src, call, ci, variables))
            elif call.tool in ("script", "npm", "make"):
                target = call.args[0] if call.args else None
                out.invocations.append(
                    Invocation(tool=call.tool, path=src.rel, line=call.line, target=target, ci=ci, label=call.label)
                )
        if load_calls:
            out.tests.append(self._facts(src, load_calls, calls, variables, var_lines))
            for call in load_calls:
                out.invocations.append(
                    Invocation(tool=call.tool, path=src.rel, line=call.line, target=src.rel, ci=ci, label=call.label)
                )
        return out

    # ------------------------------------------------------------------ reading lines

    def _lines(self, src: SourceFile, notices: list[str]) -> tuple[list[_Line], dict[str, str], dict[str, int]]:
        """Logical command lines, variable values and the line each variable is set on."""
        name = src.name
        variables: dict[str, str] = {}
        var_lines: dict[str, int] = {}
        if name == "package.json":
            return self._package_json(src, notices), variables, var_lines
        if is_ci_file(src.rel) and src.suffix in (".yml", ".yaml"):
            return self._ci_yaml(src, notices), variables, var_lines
        if name.startswith("Jenkinsfile"):
            return self._jenkins(src), variables, var_lines
        make = name in _MAKEFILES or src.suffix == ".mk"
        out: list[_Line] = []
        pending = ""
        start = 0
        target: str | None = None
        for number, raw in enumerate(src.text.splitlines(), 1):
            if make:
                if raw.startswith("\t"):
                    raw = raw[1:].lstrip("@-+ ")
                else:
                    m = _MAKE_TARGET.match(raw)
                    if m:
                        target = m.group(1)
                        continue
                    a = _MAKE_ASSIGN.match(raw.strip())
                    if a:
                        # `?=` can be overridden from the environment; other assignments are fixed.
                        variables[a.group(1)] = f"${{{a.group(1)}:-x}}" if a.group(2) == "?=" else a.group(3)
                        var_lines[a.group(1)] = number
                        continue
                raw = re.sub(r"\$\(([A-Za-z_]\w*)\)", r"${\1}", raw).replace("$$", "$")
            stripped = raw.rstrip()
            if not pending:
                start = number
            if stripped.endswith("\\"):
                pending += stripped[:-1] + " "
                continue
            text = pending + stripped
            pending = ""
            a = _ASSIGN.match(text.strip())
            if a and not make:
                value = a.group(2).strip()
                try:
                    parts = shlex.split(value, comments=True)
                    value = parts[0] if parts else ""
                except ValueError:
                    pass
                if a.group(1) not in variables:
                    variables[a.group(1)] = value
                    var_lines[a.group(1)] = start
            out.append(_Line(start, text, target))
        return out, variables, var_lines

    def _package_json(self, src: SourceFile, notices: list[str]) -> list[_Line]:
        try:
            data = json.loads(src.text)
        except ValueError as exc:
            notices.append(f"{src.rel}: not valid JSON ({exc}); skipped")
            return []
        scripts = data.get("scripts") if isinstance(data, dict) else None
        if not isinstance(scripts, dict):
            return []
        out = []
        for key, value in scripts.items():
            if isinstance(value, str):
                at = src.text.find(f'"{key}"')
                out.append(_Line(src.line_at(at) if at >= 0 else 1, value, str(key)))
        return out

    def _ci_yaml(self, src: SourceFile, notices: list[str]) -> list[_Line]:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            nodes = list(yaml.compose_all(src.text, Loader=loader))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            notices.append(f"{src.rel}: not valid YAML{where}; skipped")
            return []
        out: list[_Line] = []
        for root in nodes:
            for key, node in _ci_scalars(root):
                if key not in (
                    "run",
                    "script",
                    "command",
                    "before_script",
                    "after_script",
                    "inline",
                    "bash",
                    "sh",
                    "commands",
                    "inlineScript",
                ):
                    continue
                offset = 1 if node.style in ("|", ">") else 0
                for i, text in enumerate(str(node.value).splitlines()):
                    out.append(_Line(node.start_mark.line + 1 + offset + i, text))
        return out

    def _jenkins(self, src: SourceFile) -> list[_Line]:
        out = []
        for m in re.finditer(r"\b(?:sh|bat)\s*\(?\s*(?:script\s*:\s*)?('''|\"\"\"|'|\")(.*?)\1", src.text, re.DOTALL):
            base = src.line_at(m.start(2))
            for i, text in enumerate(m.group(2).splitlines()):
                out.append(_Line(base + i, text))
        return out

    # ------------------------------------------------------------------ commands

    def _calls(self, lines: list[_Line]) -> Iterator[_Call]:
        loops: list[tuple[str, list[str]]] = []
        for line in lines:
            tokens = _tokens(line.text)
            commands = _split(tokens)
            for index, (words, sep) in enumerate(commands):
                words = list(words)
                # Track for/while loops across lines; `done` closes the innermost.
                while words and words[0] in ("for", "while", "until", "done", "do", "then", "fi", "else"):
                    head = words.pop(0)
                    if head == "done":
                        if loops:
                            loops.pop()
                    elif head == "for":
                        var = words[0] if words else "_"
                        values = words[2:] if len(words) > 2 and words[1] == "in" else []
                        loops.append((var, values))
                        words = []
                    elif head in ("while", "until"):
                        loops.append(("", []))
                        words = []
                call = _command(words, line, list(loops))
                if call is None:
                    continue
                if sep in ("|", "|&"):
                    for later, _ in commands[index + 1 :]:
                        call.piped_to.extend(later)
                if index > 0 and commands[index - 1][1] in ("|", "|&"):
                    call.stdin_from = list(commands[index - 1][0])
                yield call

    def _runner(self, src: SourceFile, call: _Call, ci: bool, variables: dict[str, str]) -> Invocation:
        opts, positional = _options(call.args, _RUNNER_OPTS.get(call.tool, set()))
        target = next(
            (p for p in positional if re.search(r"\.(?:[cm]?[jt]s|ya?ml|json|py|jmx|scala|java|kt)$", p)),
            None,
        )
        for key in ("f", "locustfile", "t", "testfile", "s", "simulation"):
            if target is None and isinstance(opts.get(key), str):
                target = str(opts[key])
        sinks: set[str] = set()
        for key, value in opts.items():
            text = str(value).lower()
            if key in ("out", "o") and call.tool == "k6":
                sinks.add(text.split("=", 1)[0].split("-")[-1] if "=" in text else text.split(".")[-1])
            elif key in ("summary-export",):
                sinks.add("json")
            elif key in ("output", "o") and call.tool == "artillery":
                sinks.add("json")
            elif key in ("csv", "html", "json") and call.tool == "locust":
                sinks.add(key)
            elif key == "l" and call.tool == "jmeter":
                sinks.add("jtl")
        if "K6_OUT" in " ".join(call.args) or "K6_OUT" in variables:
            sinks.add("influxdb")
        clean = None
        if target:
            clean = re.sub(r"^(?:\$\{?\w+\}?/|\$\(dirname[^)]*\)/)+", "", target).lstrip("./") or None
        return Invocation(
            tool=call.tool,
            path=src.rel,
            line=call.line,
            target=clean,
            ci=ci,
            sinks=frozenset(s for s in sinks if s),
            label=call.label,
        )

    # ------------------------------------------------------------------ facts

    def _facts(
        self,
        src: SourceFile,
        load_calls: list[_Call],
        calls: list[_Call],
        variables: dict[str, str],
        var_lines: dict[str, int],
    ) -> Facts:
        counts = Counter(c.tool for c in load_calls)
        tool = max(counts, key=lambda t: (counts[t], -[c.tool for c in load_calls].index(t)))
        first = load_calls[0]
        facts = Facts(tool=tool, path=src.rel, line=first.line)
        ramp = ramp_down = False
        results: list[str] = []
        pct_missing: str | None = None
        think = data = weighted = False
        open_model = False
        for call in load_calls:
            opts, positional = _options(call.args, _VALUE_OPTS.get(call.tool if call.tool != "wrk2" else "wrk", set()))
            if call.tool == "pgbench" and ("i" in opts or "initialize" in opts):
                continue
            self._urls(call, opts, positional, variables, facts)
            step = _stepped(call, opts)
            if step is not None:
                ramp = True
                ramp_down = ramp_down or step
            missing = _percentiles_missing(call, opts)
            if missing and pct_missing is None:
                pct_missing = f"line {call.line}: {missing}"
            results.extend(_sinks(call, opts))
            if call.tool == "siege" and ("d" in opts or "delay" in opts):
                think = True
            if (call.tool == "vegeta" and "targets" in opts) or (
                call.tool == "siege" and ("f" in opts or "file" in opts)
            ):
                data = True
            if call.tool == "pgbench":
                scripts = _all_values(call.args, ("-f", "--file", "-b", "--builtin"))
                facts.signals.add("database")
                if scripts:
                    data = True
                if len(scripts) > 1 or any("@" in s for s in scripts):
                    weighted = True
            rate_model = (
                call.tool == "wrk2"
                or (call.tool == "wrk" and ("R" in opts or "rate" in opts))
                or call.tool == "vegeta"
                or (call.tool == "pgbench" and ("R" in opts or "rate" in opts))
            )
            open_model = open_model or rate_model
            duration = _duration(call, opts)
            if duration:
                facts.max_duration_s = max(facts.max_duration_s or 0.0, duration)
        tools = ", ".join(sorted(counts))
        facts.mark("ramp_up", ramp, first.line, f"{tools}: all clients start at once (no ramp-up)")
        facts.mark("ramp_down", ramp_down, first.line, f"{tools}: no ramp-down")
        facts.set("thresholds", False, first.line, f"{tools}: no pass/fail thresholds on latency or errors")
        facts.set("percentiles", pct_missing is None, None, pct_missing)
        facts.set("checks", False, first.line, f"{tools}: responses are not checked")
        facts.mark("think_time", think, first.line, "no think time between requests")
        facts.mark("weighted", weighted, first.line, "one request repeated: no weighted traffic mix")
        facts.mark("test_data", data, first.line, "no test data: every request is identical")
        facts.mark("open_model", open_model, first.line, f"{tools}: {_CLOSED}")
        facts.sinks.update(results)
        facts.mark(
            "results_output",
            bool(results),
            first.line,
            "results are printed, not stored (no CSV/JSON output or metrics sink)",
        )
        if facts.hosts:
            # Point at the assignment that hard-codes the host when there is one (API_URL="http://...").
            host = facts.hosts[0].split("://", 1)[-1]
            line = next((var_lines[k] for k, v in variables.items() if host in v and k in var_lines), None)
            facts.set(
                "env_target",
                False,
                line or facts.lines.get("env_target"),
                f"hard-coded host {facts.hosts[0]}",
            )
        else:
            facts.set("env_target", True if facts.requests or any(c.tool == "pgbench" for c in load_calls) else None)
        psql = [c for c in calls if c.tool == "psql" and c.in_loop]
        if psql:
            loop_values = psql[0].in_loop[-1][1]
            n = _loop_count(loop_values)
            size = f"{n} " if n else ""
            facts.signals.add("database")
            facts.set(
                "db_tool",
                False,
                psql[0].line,
                f"database load is a loop of {size}psql calls (line {psql[0].line}); use pgbench with a "
                "transaction mix",
            )
        elif any(c.tool == "pgbench" for c in load_calls):
            facts.set("db_tool", True, next(c.line for c in load_calls if c.tool == "pgbench"))
        return facts

    def _urls(
        self,
        call: _Call,
        opts: dict[str, Any],
        positional: list[str],
        variables: dict[str, str],
        facts: Facts,
    ) -> None:
        tool = call.tool
        if tool == "pgbench":
            host = opts.get("h") or opts.get("host")
            if isinstance(host, str):
                value = _expand(host, variables)
                if value and HOLE not in value and BASE_HOLE not in value and value not in facts.hosts:
                    facts.hosts.append(f"postgresql://{value}")
                    facts.lines.setdefault("env_target", call.line)
            return
        method = "GET"
        if tool == "ab":
            method = (
                "POST"
                if "p" in opts
                else "PUT"
                if "u" in opts
                else "HEAD"
                if "i" in opts
                else str(opts.get("m", "GET"))
            )
        elif tool == "hey":
            method = str(opts.get("m", "GET"))
        urls: list[tuple[str, str]] = []
        if tool == "vegeta":
            for word in call.stdin_from:
                if re.match(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+\S+", word):
                    verb, target = word.split(None, 1)
                    urls.append((verb, target.split()[0]))
        else:
            for arg in positional:
                expanded = _expand(arg, variables)
                if _URLISH.match(expanded) and ("/" in expanded or expanded.startswith(("\x00", "\x01"))):
                    parts = expanded.split()
                    verb = parts[1] if tool == "siege" and len(parts) > 1 and parts[1].isupper() else method
                    urls.append((verb, parts[0]))
        for verb, url in urls:
            expanded = _expand(url, variables)
            before = len(facts.hosts)
            record_url(facts, verb, expanded, call.line)
            if len(facts.hosts) > before:
                facts.lines["env_target"] = facts.lines.get("env_target", call.line)


# ---------------------------------------------------------------------- helpers


def _ci_scalars(node: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    import yaml

    # YAML aliases share nodes: visiting each node once keeps an alias bomb linear.
    seen: set[int] = set()
    stack = [(key, node, 0)]
    while stack:
        k, n, depth = stack.pop()
        if depth > 50 or id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, yaml.ScalarNode):
            yield k, n
        elif isinstance(n, yaml.SequenceNode):
            stack.extend((k, child, depth + 1) for child in n.value)
        elif isinstance(n, yaml.MappingNode):
            for kn, vn in n.value:
                stack.append((str(getattr(kn, "value", "")), vn, depth + 1))


def _tokens(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:
        return text.split()


def _split(tokens: list[str]) -> list[tuple[list[str], str]]:
    out: list[tuple[list[str], str]] = []
    current: list[str] = []
    for tok in tokens:
        if tok in _SEPARATORS:
            out.append((current, tok))
            current = []
        else:
            current.append(tok)
    out.append((current, ""))
    return [(w, s) for w, s in out if w]


def _command(words: list[str], line: _Line, loops: list[tuple[str, list[str]]]) -> _Call | None:
    i = 0
    redirect = None
    clean: list[str] = []
    skip = False
    for j, w in enumerate(words):
        if skip:
            skip = False
            continue
        if w in (">", ">>", "<", "2>", "&>"):
            if w in (">", ">>") and j + 1 < len(words):
                redirect = words[j + 1]
            skip = True
            continue
        clean.append(w)
    words = clean
    while i < len(words) and (
        words[i] in _PREFIX_WORDS or re.match(r"^[A-Za-z_]\w*=", words[i]) or (words[i] == "env" and i + 1 < len(words))
    ):
        i += 1
    if i >= len(words):
        return None
    word = words[i].rsplit("/", 1)[-1]
    args = words[i + 1 :]
    if word in ("npx", "bunx", "pnpx") and args:
        word, args = args[0].rsplit("/", 1)[-1], args[1:]
    elif word in ("npm", "yarn", "pnpm", "bun") and args:
        sub = args[1:] if args[0] in ("run", "run-script") else args
        if sub and sub[0] not in ("install", "ci", "test", "build", "add", "exec", "dlx", "i"):
            return _Call("npm", [sub[0]], line.number, line.label, loops)
        if args[0] in ("exec", "dlx") and len(args) > 1:
            word, args = args[1], args[2:]
        else:
            return None
    elif word == "make" and args:
        target = next((a for a in args if not a.startswith("-") and "=" not in a), None)
        return _Call("make", [target], line.number, line.label, loops) if target else None
    elif word == "docker" and "run" in args:
        for k, a in enumerate(args):
            image = a.split(":")[0].rsplit("/", 1)[-1]
            if image in _DOCKER_IMAGES and k > args.index("run"):
                word, args = _DOCKER_IMAGES[image], args[k + 1 :]
                if args and args[0] == word:
                    args = args[1:]
                break
        else:
            return None
    elif word in ("bash", "sh", "zsh", "source", ".") and args and args[0].endswith(".sh"):
        return _Call("script", [args[0]], line.number, line.label, loops)
    elif word.endswith(".sh"):
        return _Call("script", [words[i]], line.number, line.label, loops)
    if word == "gatling.sh":
        word = "gatling"
    if word == "k6" and args and args[0] in ("run", "cloud"):
        args = args[1:]
    elif word == "artillery" and args and args[0] in ("run", "quick", "run-fargate", "run-lambda"):
        args = args[1:]
    elif word == "vegeta" and args and args[0] != "attack":
        return (
            _Call("vegeta-report", args, line.number, line.label, loops)
            if args[0] in ("report", "encode", "plot")
            else None
        )
    elif word == "vegeta":
        args = args[1:]
    if word not in _ALL:
        return None
    return _Call(word, args, line.number, line.label, loops, redirect=redirect)


def _options(args: list[str], value_opts: set[str]) -> tuple[dict[str, Any], list[str]]:
    opts: dict[str, Any] = {}
    positional: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("-") and len(a) > 1 and not a.startswith("-\x01"):
            key = a.lstrip("-")
            if "=" in key:
                k, v = key.split("=", 1)
                opts[k] = v
            elif key in value_opts and i + 1 < len(args):
                opts[key] = args[i + 1]
                i += 1
            elif len(key) > 1 and a.startswith("-") and not a.startswith("--") and key[0] in value_opts:
                opts[key[0]] = key[1:]  # -c100, -t4
            else:
                opts[key] = True
        else:
            positional.append(a)
        i += 1
    return opts, positional


def _all_values(args: list[str], names: tuple[str, ...]) -> list[str]:
    out = []
    for i, a in enumerate(args):
        if a in names and i + 1 < len(args):
            out.append(args[i + 1])
            continue
        # --file=x.sql, -fx.sql
        out.extend(
            a.split("=", 1)[-1] if "=" in a else a[2:]
            for n in names
            if a.startswith(n + "=") or (len(n) == 2 and a.startswith(n) and len(a) > 2 and not a.startswith("--"))
        )
    return out


def _expand(text: str, variables: dict[str, str], depth: int = 0) -> str:
    """Expand ``$X``/``${X}``/``${X:-d}``; what comes from the environment becomes a base hole."""

    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(4) or m.group(5)
        if m.group(2):
            return BASE_HOLE  # ${X:-default}: overridable from the environment
        value = variables.get(name)
        if value is None or depth > 5:
            return BASE_HOLE  # not set in the file: it comes from the environment
        return _expand(value, variables, depth + 1)

    return _VAR.sub(repl, text)


def _stepped(call: _Call, opts: dict[str, Any]) -> bool | None:
    """A call in ``for c in 10 50 100`` driving -c/-rate/-R: ``True`` if it also steps down at the end."""
    if not call.in_loop:
        return None
    for var, values in call.in_loop:
        if not var:
            continue
        for key in ("c", "n", "rate", "R", "concurrent", "connections", "client"):
            value = opts.get(key)
            if isinstance(value, str) and re.search(rf"\$\{{?{re.escape(var)}\b", value):
                nums = [float(v) for v in values if re.fullmatch(r"\d+(?:\.\d+)?", v)]
                if len(nums) >= 2:
                    return nums[-1] < max(nums)
    return None


def _percentiles_missing(call: _Call, opts: dict[str, Any]) -> str | None:
    tool = call.tool
    if tool == "pgbench":
        return (
            None
            if ("l" in opts or "log" in opts)
            else "pgbench reports only average latency (add --log for percentiles)"
        )
    if tool == "siege":
        return "siege reports averages only, no percentiles"
    if tool == "wrk" and not ("latency" in opts or "L" in opts):
        return "wrk without --latency prints no percentiles"
    if call.redirect == "/dev/null":
        return "the tool's output is discarded"
    filters = {"grep", "egrep", "awk", "sed", "tail", "head", "cut"}
    if call.piped_to and call.piped_to[0].rsplit("/", 1)[-1] in filters:
        kept = " ".join(call.piped_to[1:])
        if not re.search(r"%|percent|p9\d|99|latency distribution", kept, re.IGNORECASE):
            kept = "only averages/throughput are kept, no percentiles"
            return f"output is filtered through {call.piped_to[0]}: {kept}"
    return None


def _sinks(call: _Call, opts: dict[str, Any]) -> list[str]:
    out = []
    tool = call.tool
    if tool == "ab" and ("e" in opts or "g" in opts):
        out.append("csv")
    if tool == "hey" and "o" in opts:
        out.append("csv")
    if tool == "siege" and ("l" in opts or "log" in opts):
        out.append("csv")
    if tool == "pgbench" and ("l" in opts or "log" in opts):
        out.append("log")
    if tool == "vegeta" and ("output" in opts or any(p and p[0] == "vegeta" for p in [call.piped_to])):
        out.append("vegeta-bin")
    if call.redirect and call.redirect != "/dev/null":
        out.append("file")
    if "tee" in call.piped_to:
        out.append("file")
    return out


def _duration(call: _Call, opts: dict[str, Any]) -> float | None:
    from auditkit.coverage.tools.profile import parse_duration

    for key in ("d", "duration", "T", "time", "z", "t"):
        value = opts.get(key)
        if isinstance(value, str) and not (
            call.tool in ("ab", "wrk", "wrk2", "pgbench") and key == "t" and call.tool != "ab"
        ):
            bare = 1.0
            seconds = parse_duration(value.replace("M", "m").replace("H", "h").replace("S", "s"), bare)
            if seconds:
                return seconds
    return None


def _loop_count(values: list[str]) -> int | None:
    text = " ".join(values)
    m = re.search(r"\{(\d+)\.\.(\d+)\}", text) or re.search(r"seq\s+(\d+)\s+(\d+)", text)
    if m:
        return int(m.group(2)) - int(m.group(1)) + 1
    m = re.search(r"seq\s+(\d+)", text)
    if m:
        return int(m.group(1))
    return len(values) or None
