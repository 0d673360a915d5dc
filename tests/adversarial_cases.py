"""Hostile inputs for every field a user (or a link) controls, with the words their error must
contain. Payloads that would do something if ever executed touch a canary file."""

from __future__ import annotations

from pathlib import Path

CANARY = Path(__file__).resolve().parent.parent / "artifacts" / "canary-adversarial"
TOUCH = f"__import__('os').system('touch {CANARY}')"

# (expression, words in the error)
EXPRESSIONS = [
    (TOUCH, "only named functions can be called"),
    ("__import__('os')", "unknown function '__import__'"),
    ("().__class__.__bases__[0].__subclasses__()", "only named functions"),
    ("x.__class__", "attribute access"),
    ("getattr(x, 'y')", "unknown function 'getattr'"),
    (f"eval(\"{TOUCH}\")", "unknown function 'eval'"),
    (f"exec(\"{TOUCH}\")", "unknown function 'exec'"),
    (f"compile(\"{TOUCH}\", '', 'exec')", "unknown function 'compile'"),
    ("open('/etc/passwd')", "unknown function 'open'"),
    ("lambda: 0", "lambda needs its variables"),
    (f"(lambda: {TOUCH})()", "lambda is only allowed as the whole function"),
    ("[c for c in ()]", "comprehensions"),
    ("{c for c in ()}", "comprehensions"),
    ("(c for c in ())", "comprehensions"),
    ('f"{' + TOUCH + '}"', "strings are not allowed"),
    ("'%s' % x", "'%'"),
    ("'{}'.format(x)", "only named functions"),
    ("import os", "'import' is not needed"),
    ("from os import system", "'import' is not needed"),
    ("sin(x=1)", "keyword"),
    ("sin(**{'x': 1})", "keyword"),
    ("sin(*[x])", "unpacking"),
    ("ｅｘｐ(x)", "U+FF45"),
    ("x\u200b + 1", "U+200B"),
    ("x + \u202e1", "U+202E"),
    ("\ufeffx", "U+FEFF"),
    ("x\x00", "U+0000"),
    ("x\ud800", "U+D800"),
    ("\u0435*x", "U+0435"),  # Cyrillic е, a look-alike of e
    ("9**9**9", "too large for float64"),
    ("1e999 * x", "too large for float64"),
    ("10**400 * x", "too large for float64"),
    ("1" + "0" * 400 + " * x", "too large for float64"),
    ("2.0**1024 * x", "too large for float64"),
    ("exp(710) * x", "too large for float64"),
    ("(" * 300 + "x" + ")" * 300, "nested parentheses"),
    ("-" * 1000 + "x", "nested too deeply"),
    ("x" + "+x" * 1500, "too long"),
    ("sn(x)", "did you mean 'sin'"),
    ("x if x else y", "where(c, a, b)"),
    ("x and y", "'and'/'or'"),
    ("not x", "'not'"),
    ("x == 1", "only allowed as the first argument of where"),
    ("(x := 1)", "':='"),
    ("await x", "'await'"),
    ("yield x", "'yield'"),
    ("x[0]", "indexing"),
    ("True", "only numbers"),
    ("None", "only numbers"),
    ("...", "only numbers"),
    ("1j * x", "complex"),
    ("2j", "write 2*j"),
    ("b'x'", "strings are not allowed"),
    ("x @ y", "'@'"),
    ("x << 2", "'<<'"),
    ("del x", "only 'name = expression' lines"),
    ("def f(): pass", "def f needs its variables"),
    ("class A: pass", "only 'name = expression' lines"),
    ("with open('x') as f: pass", "only 'name = expression' lines"),
    ("for i in range(3): pass", "only 'name = expression' lines"),
    ("while True: pass", "only 'name = expression' lines"),
    ("assert x", "only 'name = expression' lines"),
    ("raise SystemExit", "only 'name = expression' lines"),
    ("print(x)", "unknown function 'print'"),
    ("breakpoint()", "unknown function 'breakpoint'"),
    ("__builtins__", "cannot start with '_'"),
    ("_", "cannot start with '_'"),
    ("x = 1\nx = 2\nx", "already defined"),
    ("sin = 1\nsin", "cannot be redefined"),
    ("max(x)", "at least 2 arguments"),
    ("", "empty"),
]

# (grid spec for x, words)
GRIDS = [
    (TOUCH, "only named functions"),
    ("linspace(0, 1, 10**12)", "limit"),
    ("linspace(0, 1, 1e999)", "too large"),
    ("1, 2, nan", "'nan' is a name"),
    ("1, -inf", "'inf' is a name"),
    ("logspace(0, 400, 3)", "outside float64"),
    ("arange(0, 1, 0)", "step must not be 0"),
    ("arange(0, 1e308, 1e-308)", "too large"),
    ("[1]*10**9", "lists are not allowed"),
    ("open('/etc/passwd')", "unknown function 'open'"),
    ("linspace(0, 1, 5)\nimport os", "one line"),
    ("1; 2", "one line"),
    ("(" * 240 + "1" + ")" * 240, "nested parentheses"),
    ("1, " * 300, "too long"),
    ("ｌｉｎｓｐａｃｅ(0, 1, 3)", "U+FF4C"),
    ("", "no values"),
    ("linspace(0, 1, -5)", "whole number"),
]

# (parameter value for a, words)
PARAMS = [
    ("1e999", "too large"),
    ("nan", "'nan' is a name"),
    ("__import__('os')", "unknown function"),
    ("x", "'x' is a name"),
    ("1, 2", "not a list"),
    ("10**400", "too large"),
    ("\x00", "U+0000"),
    (TOUCH, "only named functions"),
]

# (derivative spec, words); the variables are x and y, the parameter a
DERIVATIVES = [
    ("x,x,x,x,x", "order 5 is above the limit of 4"),
    ("__class__", "is not a variable or parameter"),
    ("x,,y", "empty name"),
    ("x" * 600, "too long"),
    ("gradient; import os", "is not a variable or parameter"),
    ("z", "is not a variable or parameter"),
    ("\u200bx", "U+200B"),
    (TOUCH, "is not a variable or parameter"),
]

# (CSV text of points, words)
CSVS = [
    ("x,y\n1,2\n3,abc\n", "'abc' is not a number"),
    ("x,__class__\n1,2\n", "not a valid variable name"),
    ("x\nnan\n", "finite"),
    ("x\n1e999\n", "finite"),
    ("=cmd|' /C calc'!A0\n1\n", "not a valid variable name"),
    ("x,y\n1\n", "1 values; expected 2"),
    ("x,x\n1,2\n", "twice"),
    ("", "empty"),
    ("x\x00\n1\n", "NUL"),
]

# Valid inputs whose results are not finite: accepted, and reported with counts.
NONFINITE = [
    ("log(x)", "-1, 0, 1", 2),
    ("1/0 + x", "1, 2", 2),
    ("sqrt(x)", "0, 1", 0),  # f is finite; its gradient at 0 is not
    ("x**1e300", "2, 0.5", 1),
]
