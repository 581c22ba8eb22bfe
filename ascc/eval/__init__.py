"""`ascc eval`: a model as the agent on held-out tasks, k trials each, judged by the simulator's verification."""
