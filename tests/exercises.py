"""The eight textbook exercises of issue 18, in one place every format's tests import.

Each is (name, source, --at values): the source as a student types it and the values as they are
given on the command line (`--at` text), so a test can run the CLI or the API with the same data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exercise:
    name: str
    source: str
    at: str  # the `--at` text, NAME=VALUE,... (arrays as [..] lists)

    def values(self) -> dict[str, object]:
        """The `--at` values as Python numbers and nested lists (for `gradcli.evaluate`)."""
        from gradcli.api import read_values

        return read_values([self.at], [])


EXERCISES: tuple[Exercise, ...] = (
    # CS231n's first circuit (seed 000): the sum rule at b.
    Exercise("circuit", "(a+b)*(b+1)", "a=2,b=1"),
    # CS231n's neuron (seed 004), its sigmoid written out.
    Exercise(
        "neuron",
        "1/(1+exp(-(w0*x0+w1*x1+w2)))",
        "w0=2,x0=-1,w1=-3,x1=-2,w2=-3",
    ),
    Exercise("tanh_neuron", "tanh(w @ x + b)", "w=[0.5,-0.3],x=[1.2,0.7],b=0.1"),
    Exercise(
        "softmax_ce",
        "cross_entropy(W @ x + b, 2)",
        "W=[[0.2,-0.5,0.1],[1.5,1.3,2.1],[0,0.25,0.2]],x=[1.0,-2.0,0.5],b=[1.1,3.2,-1.2]",
    ),
    Exercise(
        "mse",
        "mse(W @ x + b, y)",
        "W=[[0.5,-1.0],[2.0,0.25]],x=[1.5,-0.5],b=[0.1,-0.2],y=[1.0,2.0]",
    ),
    Exercise(
        "mlp",
        "sum((W2 @ relu(W1 @ x + b1) + b2 - y)^2)",
        "W1=[[0.2,-0.4],[0.7,0.1],[-0.3,0.8]],b1=[0.1,0.0,-0.2],"
        "W2=[[0.5,-0.6,0.3],[-0.2,0.9,0.4]],b2=[0.05,-0.1],x=[1.5,-2.0],y=[1.0,-1.0]",
    ),
    Exercise("x_x_exp", "x*x*exp(x)", "x=1.5"),
    # The Greek-lettered logistic loss a course writes by hand: names as a mathematician would.
    Exercise(
        "greek",
        "log(1 + exp(-y_hat * (theta_1 * x_1 + alpha)))",
        "y_hat=1,theta_1=0.5,x_1=2,alpha=-0.25",
    ),
)

BY_NAME = {exercise.name: exercise for exercise in EXERCISES}
