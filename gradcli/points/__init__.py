"""Many points at once: reading points files (`read`), evaluating a program at all of them in
one vectorised pass (`evaluate`), writing their values and gradients (`write`), a file bound to
a program for `eval --points` (`run`), and data read whole for `descend` (`load`).

`gradcli eval --points` streams them (`gradcli.cli.points_run`, through `api.open_points_run`),
`Compiled.batch` returns a `Batch`, and `gradcli descend` reads its `--data` and evaluates its
minibatches here.
"""
