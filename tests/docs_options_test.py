#!/usr/bin/python3
"""The command-line options named in docs/cli.md are the options `poisonsim VERB --help` lists,
both ways (issue 29, "a docs test").

docs/cli.md has one section per verb (`## `poisonsim run``; one section may cover several verbs,
as `bench kernels`, `bench numerics` and `bench threads` share one). Every option a verb's help
lists must be named (by any of its names, `-o` or `--output`) in its section, the global ones in
the text before the first section, and every option a section names must be an option of its
verbs (of the verb a code span names, in `poisonsim inspect X --mean-over seed`) or a global one.
The options come from `poisonsim --help-all` and `poisonsim bench --help-all`: two processes.

Usage: docs_options_test.py POISONSIM SOURCE_ROOT
"""
import os
import re
import subprocess
import sys

OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*|(?<![\w-])-[a-zA-Z](?![\w-])")
SECTION = re.compile(r"^## (`poisonsim [^`]+`.*)$")
CODE_SPAN = re.compile(r"`([^`]+)`")
# What docs/cli.md may name without it being an option, and why.
NOT_OPTIONS = {
    "--help": "every verb has it; CLI11 adds it",
    "--chekpoint-every": "the misspelling in the example of a suggestion",
}


def help_all(binary, words):
    """`poisonsim [WORDS] --help-all`: the options of a command and of each of its verbs in one
    process (LibTorch starts once, not once per verb)."""
    command = [binary, *words, "--help-all"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        sys.exit(f"FAIL: {' '.join(command)} exited {done.returncode}\n{done.stderr}")
    return done.stdout


def option_names(spec):
    """`-o,--output` -> {"-o", "--output"}: one option, any of whose names documents it."""
    return frozenset(spec.split(","))


def parse_help_all(text):
    """CLI11's --help-all: the command's own options (indent 2), then one block per verb (its
    name alone on a line) with its options (indent 4) and, when it has sub-verbs, their names.
    Returns (own options, {verb: options}, verbs that have sub-verbs)."""
    own, verbs, parents = set(), {}, set()
    verb = None
    for line in text.splitlines():
        if re.fullmatch(r"[a-z][a-z0-9-]*", line):
            verb = line
            verbs[verb] = set()
            continue
        if verb is None:
            match = re.match(r"^ {2}(-\S+)", line)
            if match:
                own.add(option_names(match.group(1)))
        else:
            match = re.match(r"^ {4}(-\S+)", line)
            if match:
                verbs[verb].add(option_names(match.group(1)))
            if line.strip() == "Subcommands:":
                parents.add(verb)
    drop = {option_names("-h,--help")}
    return own - drop, {v: o - drop for v, o in verbs.items()}, parents


def sections(text):
    """{heading: (verbs, body)} for every `## `poisonsim ...`` section; the text before the
    first `## ` under "global"."""
    found = {}
    heading, body = "global", []
    for line in text.splitlines():
        match = SECTION.match(line)
        if match or line.startswith("## "):
            found[heading] = body
            heading, body = (match.group(1) if match else line), []
            continue
        body.append(line)
    found[heading] = body
    result = {}
    for heading, lines in found.items():
        verbs = [v.split()[1:] for v in re.findall(r"`(poisonsim [^`]+)`", heading)]
        result[heading] = ([tuple(v) for v in verbs], "\n".join(lines))
    return result


def named_options(body, verb_words):
    """The options a section names, and for which verb: an option inside a code span that
    starts with a verb (`poisonsim sweep --seeds N`, `sweep --shard i/N`) is that verb's; any
    other is the section's own (None)."""
    named = []
    # Fenced blocks (job scripts): only their poisonsim commands, from `poisonsim` on.
    spans = []
    for block in re.findall(r"^```.*?^```", body, flags=re.S | re.M):
        spans += [line[line.index("poisonsim"):] for line in block.splitlines()
                  if "poisonsim " in line and not line.lstrip().startswith("#")]
    body = re.sub(r"^```.*?^```", " ", body, flags=re.S | re.M)
    spans += CODE_SPAN.findall(body)
    for span in spans:
        words = span.split()
        if words and words[0] == "poisonsim":
            words = words[1:]
        owner = None
        for length in (2, 1):
            if tuple(words[:length]) in verb_words:
                owner = tuple(words[:length])
                break
        # Another program's command (`ulimit -f`, `mpirun --bind-to`): not ours to check.
        if owner is None and words and not words[0].startswith("-") and span.split()[0] != \
                "poisonsim":
            continue
        named += [(option, owner) for option in OPTION.findall(span)]
    named += [(option, None) for option in OPTION.findall(CODE_SPAN.sub(" ", body))]
    return named


def main():
    binary, root = sys.argv[1:3]
    documented = sections(open(os.path.join(root, "docs/cli.md")).read())
    global_options, top_verbs, parents = parse_help_all(help_all(binary, []))
    options_of = {}
    for verb, options in top_verbs.items():
        if verb in parents:
            _, subs, _ = parse_help_all(help_all(binary, [verb]))
            options_of.update({(verb, sub): o for sub, o in subs.items()})
        else:
            options_of[(verb,)] = options
    if not options_of:
        sys.exit("FAIL: no verbs found in `poisonsim --help-all`")
    problems = []

    section_of = {}
    for heading, (section_verbs, _) in documented.items():
        for verb in section_verbs:
            section_of[verb] = heading
    for verb in options_of:
        if verb not in section_of:
            problems.append(f"`poisonsim {' '.join(verb)}` has no section in docs/cli.md")

    def all_names(options):
        return {name for option in options for name in option}

    # --help-all -> docs: every option is named where its verb is documented.
    global_named = set(OPTION.findall(documented["global"][1]))
    for option in sorted(global_options, key=sorted):
        if not option & global_named:
            problems.append(f"global option {'/'.join(sorted(option))} (poisonsim --help-all) "
                            f"is not in docs/cli.md's global table")
    for verb, options in options_of.items():
        if verb not in section_of:
            continue
        named = set(OPTION.findall(documented[section_of[verb]][1]))
        for option in sorted(options, key=sorted):
            if not option & named:
                problems.append(f"option {'/'.join(sorted(option))} of `poisonsim "
                                f"{' '.join(verb)}` (--help-all) is not named in docs/cli.md's "
                                f"section {section_of[verb]}")

    # docs -> --help-all: every option named belongs to its verb, or is global.
    known_global = all_names(global_options) | set(NOT_OPTIONS)
    for heading, (section_verbs, body) in documented.items():
        for option, owner in named_options(body, set(options_of)):
            owners = [owner] if owner else section_verbs
            if not owners and heading != "global":
                continue  # a how-to (the cluster): other programs' options, ours in commands
            if not owners:  # the introduction: any verb's option may be named there
                owners = list(options_of)
            if option in known_global or any(option in all_names(options_of.get(v, ()))
                                             for v in owners):
                continue
            whose = " or ".join(f"`poisonsim {' '.join(v)}`" for v in owners[:3])
            problems.append(f"docs/cli.md's section {heading} names {option}, which is not an "
                            f"option of {whose}{' ...' if len(owners) > 3 else ''} "
                            f"(--help-all) nor a global option")

    for problem in sorted(set(problems)):
        print("FAIL:", problem)
    print(f"{len(options_of)} verbs, {len(global_options)} global options, "
          f"{len(set(problems))} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
