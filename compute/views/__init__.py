"""Views of a result: pandas tables, runnable torch code, SymPy/LaTeX formulas."""
