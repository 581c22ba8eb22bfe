"""The `ascc train` command. `register(app)` adds it to the main typer app; flags override the config file.

`python -m ascc.trainer.cli train CONFIG ...` runs it standalone (and under `accelerate launch -m`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ascc.extras import needs_extra
from ascc.trainer.config import ConfigError, load_config, with_overrides


def train_command(
    config: Annotated[Path, typer.Argument(help="train config YAML (see docs/training.md)")],
    model: Annotated[str | None, typer.Option(help="base model: HF dir, .gguf file, `smollm2`, `tiny:<tok>`")] = None,
    output_dir: Annotated[Path | None, typer.Option(help="where checkpoints and the final model go")] = None,
    epochs: Annotated[float | None, typer.Option(help="epochs for every phase")] = None,
    lr: Annotated[float | None, typer.Option(help="learning rate for every phase")] = None,
    method: Annotated[str | None, typer.Option(help="`full` or `lora`")] = None,
    max_steps: Annotated[int | None, typer.Option(help="stop each phase after this many optimizer steps")] = None,
    threads: Annotated[int | None, typer.Option(help="CPU threads for torch (1 is fastest on a busy 2-core box)")] = None,
) -> None:
    """Fine-tune a causal LM on verified tool-use traces (assistant-only loss); a rerun resumes."""
    try:
        if method is not None and method not in ("full", "lora"):
            raise ConfigError("--method", "", f"expected `full` or `lora`, got {method!r}")
        settings = with_overrides(
            load_config(config), model=model, output_dir=output_dir, epochs=epochs, learning_rate=lr,
            method=method, max_steps=max_steps, threads=threads,  # type: ignore[arg-type]
        )
        _check_positive(epochs=epochs, lr=lr, threads=threads)
    except ConfigError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    # Imported here so `ascc --help` and config errors stay fast (torch + TRL take seconds to import).
    with needs_extra("ascc train", "train"):  # one line with the install command, not a traceback
        from ascc.trainer.data import TraceError
        from ascc.trainer.grpo import GrpoSetupError
        from ascc.trainer.model import ModelSpecError
        from ascc.trainer.train import TrainError, train

        try:
            train(settings, log=lambda line: typer.echo(f"ascc train: {line}"))
        except (TraceError, ModelSpecError, TrainError, GrpoSetupError) as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(1) from None


def _check_positive(**flags: float | None) -> None:
    for name, value in flags.items():
        if value is not None and value <= 0:
            raise ConfigError(f"--{name.replace('_', '-')}", "", f"expected a number > 0, got {value}")


def register(app: typer.Typer) -> None:
    """Add the `train` command to `app`."""
    app.command("train")(train_command)


def _standalone() -> typer.Typer:
    app = typer.Typer(add_completion=False)

    @app.callback()
    def _root() -> None:
        """ascc training stage."""

    register(app)
    return app


if __name__ == "__main__":
    _standalone()()
