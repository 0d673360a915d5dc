"""The expression language: user text → validated tree, and the grid, points and derivative specs.

Nothing here imports torch or evaluates user text."""
