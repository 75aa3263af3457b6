"""Each app seeds its own demo data; `seed_demo` runs the core's, then every app's step in order.

An app registers its steps in its AppConfig.ready():

    demo_step_register(DemoStep(name="journeys", order=10, run=lambda seed: journeys_demo_seed(seed=seed)))

A step takes the seed and returns what it made as {"what": count} for the command's summary; running it again
adds only what is missing. The order is stated because the apps read each other's demo data: the journeys'
touchpoints before the survey answers that move accounts along them, the answers before the behaviour
suggestions and the segments, and the stage norms last, from the moves all of them made.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoStep:
    name: str
    order: int
    run: Callable[[int], dict[str, int]]


_STEPS: dict[str, DemoStep] = {}


def demo_step_register(step: DemoStep) -> None:
    _STEPS[step.name] = step


def demo_steps() -> list[DemoStep]:
    return sorted(_STEPS.values(), key=lambda step: step.order)
