"""The function registry: every function's facts (arity, folding, torch, derivative rule, SymPy, code
export) in one entry, and the accurate backward rules built from it."""
