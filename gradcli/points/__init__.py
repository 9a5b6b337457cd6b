"""Many points at once: reading points files (`read`), evaluating a program at all of them in
one vectorised pass (`evaluate`), writing their values and gradients (`write`).

`gradcli eval --points` streams them (`gradcli.cli.points_run`), `Compiled.batch` returns a
`Batch`, and `gradcli descend` reads its `--data` files and evaluates its minibatches here.
"""
