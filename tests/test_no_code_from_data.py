"""Nothing in keras_hpo/ unpickles, evals or execs anything: stored data is JSON, read as data."""

import pathlib
import re

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "keras_hpo"
FORBIDDEN = re.compile(
    r"\b(pickle|cPickle|dill|cloudpickle|joblib|marshal|shelve)\s*\.\s*(loads?|Unpickler)\b"  # unpickling
    r"|\bimport\s+(pickle|dill|cloudpickle|marshal|shelve)\b|\bfrom\s+(pickle|dill|cloudpickle|marshal|shelve)\s+import\b"
    r"|(?<![\w.])(eval|exec)\s*\("  # eval( / exec( as builtins
    r"|\b__import__\s*\(|\bnp\.load\s*\([^)]*allow_pickle\s*=\s*True|\byaml\.load\s*\("
)


def test_no_unpickling_eval_or_exec_in_the_package():
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if FORBIDDEN.search(code):
                hits.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert hits == []


def test_the_pattern_catches_what_it_is_meant_to():
    for bad in ("pickle.loads(b)", "import pickle", "x = eval(text)", "exec(code)", "cloudpickle.load(f)",
                "np.load(f, allow_pickle=True)", "from dill import loads"):
        assert FORBIDDEN.search(bad), bad
    for fine in ("model.evaluate(x)", "self.executor.submit(f)", "ast.literal_eval", "x.exec_count"):
        assert not FORBIDDEN.search(fine), fine
