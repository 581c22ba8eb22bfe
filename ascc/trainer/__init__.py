"""`ascc train`: supervised fine-tuning of a causal LM on verified tool-use trajectories.

Only `template` is imported eagerly (it needs jinja2 alone), so the simulator can reuse `parse_tool_calls`
without the training extra installed; the other modules import torch, transformers and TRL.
"""

from ascc.trainer.template import parse_tool_calls

__all__ = ["parse_tool_calls"]
