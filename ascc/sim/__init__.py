"""`ascc simulate`: task synthesis, agent × user rollouts over compiled domains, verification, trace output."""
