"""Pipelines for benches/local_rules.sh, from the worked examples in pipelines/examples.

Writes into OUT:
  builtin.toml      the roll and death_big.csv as the built-in `death` registry
  local.toml        the roll and the same file as a local registry `death_local`
  rules-none.toml   the roll, the examples' local registries, their rules switched off
  rules-<rule>.toml the same with one example rule switched on
The examples' registries and rules are copied as they are, so the benchmark measures the
rules the README shows.

usage: python3 local_rules_pipelines.py EXAMPLES_DIR OUT
"""

import json
import os
import sys
import tomllib

HEAD = '[pipeline]\npopulation = 10_000_000\n\n[sources.roll]\n\n'


def value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


def table(name, settings):
    lines = [f"[{name}]"]
    nested = []
    for key, v in settings.items():
        if key == "path":
            continue  # found in --data by the source's name
        if isinstance(v, dict) and all(isinstance(x, dict) for x in v.values()):
            nested.append((f"{name}.{key}", v))
        else:
            lines.append(f"{key} = {value(v)}")
    text = "\n".join(lines) + "\n"
    for sub, fields in nested:
        text += f"[{sub}]\n" + "".join(f"{k} = {value(x)}\n" for k, x in fields.items())
    return text + "\n"


def main():
    examples, out = sys.argv[1], sys.argv[2]
    sources, rules = {}, {}
    for file in sorted(os.listdir(examples)):
        with open(os.path.join(examples, file), "rb") as f:
            pipeline = tomllib.load(f)
        for name, settings in pipeline.get("sources", {}).items():
            if "person" in settings:
                sources[name] = settings
        for name, settings in pipeline.get("rules", {}).items():
            if "sql" in settings:
                rules[name] = settings
    with open(os.path.join(out, "builtin.toml"), "w") as f:
        f.write(HEAD + '[sources.death]\npath = "death_big.csv"\n')
    with open(os.path.join(out, "local.toml"), "w") as f:
        f.write(
            HEAD
            + '[sources.death_local]\npath = "death_big.csv"\n'
            + 'person = { name = "name", id_number = "id_number", birth_date = "birth_date" }\n'
            + "[sources.death_local.fields]\n"
            + 'death_date = { column = "death_date", type = "date" }\n'
            + 'source = { column = "source", type = "text", required = false }\n'
        )
    registries = "".join(table(f"sources.{n}", s) for n, s in sources.items())
    for enabled in [None, *rules]:
        text = HEAD + registries
        for name, settings in rules.items():
            text += table(f"rules.{name}", {**settings, "enabled": name == enabled})
        with open(os.path.join(out, f"rules-{enabled or 'none'}.toml"), "w") as f:
            f.write(text)
    print(" ".join(rules))


if __name__ == "__main__":
    main()
